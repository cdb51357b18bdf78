"""Sentences whose kind is plain, shared by the encoder's run-time and training tests."""

ASKS = [
    "Could you send me the signed lease by Friday?",
    "Can you review the draft before our call?",
    "Please forward the invoice to accounting.",
    "Would you check the numbers on page three?",
    "Can you book the room for Tuesday?",
    "Please send the slides to the whole team.",
]
PROMISES = [
    "I'll send the deck by Friday.",
    "I will call you tomorrow morning.",
    "We will have the contract to you on Monday.",
    "I'll get back to you with the figures.",
]
NEITHER = [
    "Thanks for the update.",
    "The meeting went well yesterday.",
    "Our office is closed on Monday.",
    "The report is attached.",
    "It was good to see everyone last week.",
    "The weather in Boston was lovely.",
]
