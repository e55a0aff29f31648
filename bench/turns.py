"""What the shoppers say. The stock bot hears its own intents (greet, mood, bot challenge, bye);
Bottega's shoppers talk the way its shoppers do: catalogue searches, refinements, product details,
cart adds, views and removals, a delivery question and small talk. Every Bottega search matches
the seed catalogue and the first product it shows can go into the cart as asked, so a reply
holding an error text is a real failure, not a script that asks for the impossible.
"""

from __future__ import annotations

from itertools import cycle, islice

STOCK_ROUND = (
    "hello", "I am feeling great", "are you a bot?", "hi there", "I am sad", "yes", "good morning",
    "very good", "am I talking to a human?", "bye",
)

# (search, refinement); "add the first one" then takes the first product the refined search shows.
SEARCHES = (
    ("do you have red running shoes size 42 under 100?", "what about Nike?"),
    ("do you have apples?", "cheaper"),
    ("cat toys please", "under 20"),
    ("looking for an orange jumper in size M", "under 50"),
    ("show me running shoes in size 42", "in blue"),
    ("I'm looking for dog food", "cheaper"),
)
QUESTIONS = ("how long does delivery take?", "how much is delivery?", "do you deliver on saturdays?")
SMALL_TALK = (("thanks", "are you a bot?"), ("thank you!", "hi"), ("great, thanks", "who am I talking to?"))


def bottega_round(index: int) -> list[str]:
    """Ten turns of a shopper's visit; consecutive rounds vary the search, question and small talk."""
    search, refinement = SEARCHES[index % len(SEARCHES)]
    thanks, chat = SMALL_TALK[index % len(SMALL_TALK)]
    return [search, refinement, "tell me more about the first one", "add the first one to my cart",
            "what is in my cart?", QUESTIONS[index % len(QUESTIONS)], thanks, chat, "show more",
            # The cart stays one item long: a reply listing a cart that grows all conversation would
            # be a cost of the script, not of the conversation's length.
            "remove the first one from my cart"]


def bottega_turns(count: int, start: int = 0) -> list[str]:
    """`count` turns of a Bottega shopper, from round `start` on (shoppers of a crowd differ)."""
    turns: list[str] = []
    index = start
    while len(turns) < count:
        turns += bottega_round(index)
        index += 1
    return turns[:count]


def stock_turns(count: int, start: int = 0) -> list[str]:
    return list(islice(cycle(STOCK_ROUND[start % len(STOCK_ROUND):] + STOCK_ROUND[:start % len(STOCK_ROUND)]),
                       count))
