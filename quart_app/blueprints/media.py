"""``POST /api/customizations/generate-ai-image`` and ``GET /media/<name>``.

See docs/contract.md §2.3.
"""

from __future__ import annotations

import asyncio

from quart import Blueprint, Response, request
from quart_schema import validate_request, validate_response

from quart_app.auth import optional_user_id
from quart_app.errors import ApiError
from quart_app.extensions import get_media_store, get_voice
from quart_app.openapi import document_binary_response
from quart_app.schemas.voice import GeneratedImage, ImageGenerationRequest
from quart_app.services.media.store import EXTENSIONS, StoredImage, image_id_of
from quart_app.services.orders.images import conversation_owner
from quart_app.services.voice.image_check import check_image

bp = Blueprint("media", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
"""An image never changes under its name (a new picture gets a new id)."""


@bp.post("/api/customizations/generate-ai-image")
@validate_request(ImageGenerationRequest)
@validate_response(GeneratedImage, 201)
async def generate_image(data: ImageGenerationRequest) -> tuple[GeneratedImage, int]:
    """Generate an image for ``prompt``, keep it, and say where it is served.

    With ``session_id`` (a conversation of the caller's, checked before the
    picture is made) it becomes the cake picture of that conversation's order.
    The picture is the caller's (a member's), or the conversation's (a guest's):
    only they can put it on an order.
    """
    store = get_media_store()
    voice = get_voice()
    owner = caller = optional_user_id()
    speaker = None
    if data.session_id is not None:
        speaker = await voice.conversations.speaker(data.session_id, caller)
        owner = speaker or conversation_owner(data.session_id)
    result = await voice.ai.send_image_request(data.prompt, aspect_ratio=data.aspect_ratio)
    # Decoding and encoding every pixel takes a while: off the event loop.
    image = await asyncio.to_thread(
        check_image, result.image_b64, aspect_ratio=data.aspect_ratio, max_bytes=store.max_bytes
    )
    stored = await store.put(image.data, image.content_type, owner=owner)
    if data.session_id is not None:
        await voice.conversations.attach_image(data.session_id, speaker, stored.image_id)
    return GeneratedImage(image_id=stored.image_id, image_path=stored.path), 201


@bp.get("/media/<name>")
@document_binary_response(*EXTENSIONS)
async def media(name: str) -> Response:
    """A stored image with its content type, from whichever instance stored it.

    It carries an ``ETag``; ``If-None-Match`` with it answers 304 without the bytes.
    """
    store = get_media_store()
    image_id = image_id_of(name)
    image = None if image_id is None else await store.describe(image_id)
    if image is None or image.name != name:
        raise _no_such_media()
    if image.etag in request.if_none_match:
        return _with_caching(Response(status=304), image)
    data = await store.read(image)
    if data is None:
        raise _no_such_media()
    return _with_caching(Response(data, content_type=image.content_type), image)


def _with_caching(response: Response, image: StoredImage) -> Response:
    response.set_etag(image.etag)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _no_such_media() -> ApiError:
    return ApiError(404, "not_found", "No such media.")
