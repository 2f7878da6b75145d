"""``POST /api/customizations/generate-ai-image`` and ``GET /media/<name>`` (CONTRACT 2.3)."""

from __future__ import annotations

from quart import Blueprint, Response, send_from_directory
from quart_schema import validate_request, validate_response

from quart_app.errors import ApiError
from quart_app.openapi import document_binary_response
from quart_app.schemas.voice import GeneratedImage, ImageGenerationRequest
from quart_app.services.voice.media import CONTENT_TYPES, content_type_of
from quart_app.services.voice.runtime import get_voice

bp = Blueprint("media", __name__)


@bp.post("/api/customizations/generate-ai-image")
@validate_request(ImageGenerationRequest)
@validate_response(GeneratedImage, 201)
async def generate_image(data: ImageGenerationRequest) -> tuple[GeneratedImage, int]:
    """Generate an image for ``prompt``, keep it, and say where it is served."""
    voice = get_voice()
    result = await voice.ai.send_image_request(data.prompt, aspect_ratio=data.aspect_ratio)
    stored = await voice.media.save_image(result.image_b64, aspect_ratio=data.aspect_ratio)
    return GeneratedImage(image_id=stored.image_id, image_path=stored.path), 201


@bp.get("/media/<name>")
@document_binary_response(*CONTENT_TYPES.values())
async def media(name: str) -> Response:
    """A stored image, with its content type; only names this service gave out."""
    content_type = content_type_of(name)
    if content_type is None:
        raise ApiError(404, "not_found", "No such media.")
    response = await send_from_directory(get_voice().media.directory, name, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
