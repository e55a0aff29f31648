"""The anger scorer that decides when a message goes straight to a person."""

from __future__ import annotations

import pytest

from components.anger import anger, is_clearly_angry


@pytest.mark.parametrize("text", [
    "This is RIDICULOUS!!! My parcel arrived smashed and nobody answers my emails",
    "WHERE IS MY PARCEL?!?! you people are useless",
    "f***ing useless bot, get me a human NOW 😡",
    "worst shop ever, absolutely unacceptable",
    "I'm furious. Third time I ask and still no refund!!",
    "THIS IS A SCAM, GIVE ME MY MONEY BACK",
    "you are a joke 🤬🤬",
    "WHAT A JOKE, cancel everything!!",
    "im so angry!! where is my order",
    "fed up with you people, 2 weeks!!!",
    "sick and tired of waiting!!",
])
def test_clear_anger(text: str) -> None:
    assert is_clearly_angry(text), anger(text)


@pytest.mark.parametrize("text", [
    "my headphones arrived with a scratch, i'm a bit disappointed",
    "this is the worst service i have ever had",  # unhappy, but the bot can still help
    "WHERE IS MY ORDER",  # loud, but names no anger
    "do you have the Nike Air Max in XXL?",
    "I need a USB-C cable and an HDMI adapter",
    "wow!! thanks so much!!",
    "TELL ME A JOKE!!",
    # Anger words that are not anger at the shop (issue 7: none of these may hand off).
    "do you have Angry Birds toys?",
    "I'm not angry, just asking",
    "I'm mad at myself, I ordered the wrong size",
    "hate this colour, show me blue",
    "sick of my old phone",
    "I am not furious!! just tell me where it is",
    "/complaint",  # a button press carries no mood
    "",
    None,
])
def test_not_clear_anger(text: str | None) -> None:
    assert not is_clearly_angry(text), anger(text)


def test_the_score_grows_with_the_signals() -> None:
    calm, louder = anger("this is ridiculous"), anger("this is RIDICULOUS!!")
    loudest = anger("THIS IS RIDICULOUS!!! 😡")
    assert calm.score < louder.score < loudest.score
    assert calm.names_it and not calm.clear
