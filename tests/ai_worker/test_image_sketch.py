"""The sketch image engine: a cake that shows what the prompt asked for."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from ai_worker.engines.cake_prompt import COLOURS, read_prompt
from ai_worker.engines.image_sketch import SketchImageEngine, render_png
from ai_worker.errors import EngineError
from config.worker import WorkerSettings

STRAWBERRY = (220, 30, 50)


def _image(prompt: str) -> Image.Image:
    return Image.open(io.BytesIO(render_png(prompt))).convert("RGB")


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return int((np.asarray(image) == colour).all(axis=-1).sum())


async def test_the_engine_answers_a_square_png() -> None:
    result = await SketchImageEngine(WorkerSettings()).run(
        {"prompt": "a pink cake", "aspect_ratio": "1:1"}
    )
    assert result["mime_type"] == "image/png"
    image = Image.open(io.BytesIO(base64.b64decode(result["image_b64"])))
    assert image.format == "PNG"
    assert image.size == (512, 512)


async def test_only_square_images_are_drawn() -> None:
    with pytest.raises(EngineError) as caught:
        await SketchImageEngine(WorkerSettings()).run({"prompt": "cake", "aspect_ratio": "16:9"})
    assert caught.value.code == "bad_request"


def test_the_same_prompt_gives_the_same_picture() -> None:
    assert render_png("cake with sprinkles") == render_png("cake with sprinkles")


@pytest.mark.parametrize("prompt", ["a cake with strawberries", "딸기 케이크"])
def test_strawberries_show(prompt: str) -> None:
    assert _count(_image(prompt), STRAWBERRY) > 500
    assert _count(_image("a plain cake"), STRAWBERRY) == 0


@pytest.mark.parametrize(("prompt", "colour"), [("a blue cake", "blue"), ("보라색 케이크", "보라")])
def test_the_frosting_has_the_colour_asked_for(prompt: str, colour: str) -> None:
    # the front of the bottom tier
    assert _image(prompt).getpixel((100, 400)) == COLOURS[colour]


def test_chocolate_makes_a_brown_cake_with_chocolate_on_top() -> None:
    spec = read_prompt("chocolate cake")
    assert spec.frosting == (110, 62, 35)
    assert "chocolate" in spec.toppings


def test_tiers_stack_up() -> None:
    background = (253, 246, 236)
    assert _image("one layer cake").getpixel((256, 150)) == background
    assert _image("three-tier cake").getpixel((256, 150)) != background
    assert read_prompt("3단 케이크").layers == 3


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ('A pink cake saying "Happy Birthday"', "Happy Birthday"),
        ("a white cake with the words Congratulations Anna", "Congratulations Anna"),
        ("하얀 케이크에 생일 축하해라고 써 주세요", "생일 축하해"),
    ],
)
def test_the_message_is_read_and_written(prompt: str, message: str) -> None:
    assert read_prompt(prompt).message == message
    with_words, without = _image(prompt), _image(prompt.split(" saying")[0])
    plaque = (150, 420, 362, 470)
    assert with_words.crop(plaque).tobytes() != _image("a white cake").crop(plaque).tobytes()
    assert with_words.size == without.size


def test_the_message_does_not_colour_the_cake() -> None:
    spec = read_prompt('a white cake saying "red roses"')
    assert spec.frosting == COLOURS["white"]
    assert "flowers" not in spec.toppings
