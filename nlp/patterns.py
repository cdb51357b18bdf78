"""Matcher patterns as data: the cues of requests and commitments, and their traps.

Each key is a Matcher label; ``rules.py`` combines the labels found in a sentence. The
patterns use only ``LOWER``/``IS_SENT_START``/``IS_PUNCT`` (and a ``TEXT`` regex for
clock times), so they work on
``spacy.blank("en")`` (no tagger, no parser).
"""

from __future__ import annotations

from typing import Any

Pattern = list[dict[str, Any]]

# Verbs that open an imperative sentence in mail ("Send me the file", "Call Dana").
IMPERATIVE_VERBS = sorted(
    [
        "add",
        "advise",
        "answer",
        "approve",
        "arrange",
        "ask",
        "attach",
        "attend",
        "be",
        "book",
        "bring",
        "call",
        "cancel",
        "change",
        "check",
        "choose",
        "clarify",
        "come",
        "complete",
        "confirm",
        "consider",
        "contact",
        "coordinate",
        "copy",
        "correct",
        "create",
        "decide",
        "delete",
        "describe",
        "discuss",
        "do",
        "double-check",
        "draft",
        "drop",
        "email",
        "e-mail",
        "ensure",
        "explain",
        "fax",
        "feel",
        "fill",
        "find",
        "fix",
        "follow",
        "forward",
        "get",
        "give",
        "go",
        "handle",
        "have",
        "help",
        "hold",
        "include",
        "inform",
        "inactivate",
        "input",
        "investigate",
        "keep",
        "leave",
        "let",
        "list",
        "look",
        "mail",
        "make",
        "mark",
        "meet",
        "move",
        "notify",
        "note",
        "obtain",
        "open",
        "order",
        "pass",
        "phone",
        "pick",
        "plan",
        "prepare",
        "print",
        "proceed",
        "provide",
        "pull",
        "put",
        "read",
        "register",
        "remember",
        "remind",
        "remove",
        "reply",
        "report",
        "request",
        "reschedule",
        "reserve",
        "respond",
        "return",
        "review",
        "revise",
        "run",
        "save",
        "schedule",
        "see",
        "select",
        "send",
        "set",
        "share",
        "show",
        "sign",
        "speak",
        "start",
        "stop",
        "submit",
        "take",
        "tell",
        "touch",
        "try",
        "update",
        "upload",
        "use",
        "verify",
        "wait",
        "write",
    ]
)

# Verbs a writer commits to ("I'll send", "we will get you"). "be" is handled apart.
COMMIT_VERBS = sorted(
    [
        "add",
        "arrange",
        "ask",
        "bring",
        "call",
        "change",
        "check",
        "come",
        "compile",
        "confirm",
        "contact",
        "coordinate",
        "copy",
        "create",
        "deliver",
        "do",
        "draft",
        "e-mail",
        "email",
        "fax",
        "find",
        "finish",
        "fix",
        "follow",
        "forward",
        "get",
        "give",
        "go",
        "handle",
        "have",
        "include",
        "investigate",
        "keep",
        "let",
        "look",
        "mail",
        "make",
        "meet",
        "move",
        "pass",
        "phone",
        "pick",
        "prepare",
        "print",
        "provide",
        "pull",
        "put",
        "reply",
        "research",
        "respond",
        "return",
        "review",
        "revise",
        "run",
        "schedule",
        "see",
        "send",
        "set",
        "setup",
        "ship",
        "show",
        "sign",
        "speak",
        "start",
        "submit",
        "take",
        "talk",
        "tell",
        "update",
        "work",
        "write",
        "circulate",
        "distribute",
        "post",
        "book",
        "reserve",
        "cover",
        "pay",
        "process",
        "correct",
        "touch",
        "drop",
        "resend",
        "research",
        "reach",
        "ping",
        "loop",
        "help",
        "fill",
        "collect",
        "leave",
        "load",
        "build",
        "clean",
        "organize",
        "host",
        "invite",
        "order",
        "walk",
        "explain",
        "summarize",
        "place",
    ]
)

YOU = ["you", "u", "ya"]
MODALS_ASK = ["can", "could", "would", "will", "wo", "might", "may", "should"]
WILL = ["will", "'ll", "ll", "shall", "wll"]
FIRST = ["i", "we"]

# Hedges turn a promise into a maybe (guideline: "probably", "hopefully", "should be
# able to", "I will try to" are not commitments).
HEDGES = [
    "probably", "hopefully", "maybe", "perhaps", "possibly", "might", "may", "try",
    "trying", "attempt", "hope", "guess", "think", "shooting", "aim", "aiming",
    # "I wish I could make it": what the writer would do, not what they will
    "wish",
]  # fmt: skip
# Courtesy after "I'll"/"we'll": not a promise of a specific action.
COURTESY_AFTER_WILL = [
    ["be", "in", "touch"], ["talk", "to", "you"], ["see", "you"], ["talk", "soon"],
    ["be", "out"], ["be", "away"], ["be", "on", "vacation"], ["be", "your"],
    ["be", "back"], ["be", "in", "the", "office"], ["be", "out", "of"], ["be", "gone"],
    ["be", "able"], ["be", "happy"], ["be", "glad"], ["need"], ["have", "to", "wait"],
    ["miss"], ["never"], ["not"], ["see", "what"], ["keep", "that", "in", "mind"],
    # declining: "I am going to have to miss your wedding"
    ["have", "to", "miss"], ["have", "to", "skip"], ["have", "to", "cancel"],
    ["have", "to", "pass"], ["have", "to", "decline"], ["not", "be", "able"],
]  # fmt: skip
# Presence, absence and availability after "I'll": where the writer will be, neither a
# promise nor an ask ("I will also be leaving early Friday", "I'll be in tomorrow").
PRESENCE_AFTER_WILL = [
    ["be", "in"], ["be", "leaving"], ["be", "returning"], ["be", "available"],
    ["be", "reachable"], ["be", "traveling"], ["be", "travelling"], ["be", "off"],
    ["be", "checking", "my"], ["be", "checking", "email"], ["be", "checking", "e-mail"],
    ["be", "checking", "voice"], ["be", "checking", "messages"], ["be", "reporting"],
    ["be", "working", "from"], ["be", "out"], ["be", "away"], ["be", "on", "vacation"],
    ["be", "back"], ["be", "gone"],
    # where the writer will be and until when ("I will be at home until 9:20")
    ["be", "at", "home"], ["be", "home"], ["be", "here"], ["be", "around"],
    ["be", "on", "the", "road"], ["be", "on", "the", "phone"], ["be", "downtown"],
    ["be", "staying"], ["be", "flying"], ["be", "driving"], ["be", "arriving"],
    ["be", "visiting"], ["be", "at", "the", "office"], ["be", "at", "my", "desk"],
    ["be", "at", "work"], ["be", "up", "in"], ["be", "down", "in"], ["be", "over", "in"],
]  # fmt: skip
COURTESY_AFTER_WILL += PRESENCE_AFTER_WILL
# Adverbs allowed between "I will" and a courtesy phrase ("I will also be out").
COURTESY_ADVERBS = ["also", "still", "then", "just", "probably", "now"]
# Words that make a promise a standing practice, not a deliverable ("We will be
# reporting it that way going forward").
STANDING_PRACTICE = [["going", "forward"], ["from", "now", "on"], ["from", "here", "on"]]
# "... so we can set up": a purpose clause, not an undertaking.
PURPOSE_CLAUSE = [
    ["so", "we", "can"], ["so", "i", "can"], ["so", "that", "we", "can"],
    ["so", "that", "i", "can"], ["so", "we", "could"], ["so", "i", "could"],
]  # fmt: skip
# "Let me know if you have any questions" and kin: courtesy closings, not asks.
COURTESY_LMK = [
    ["if", "you", "have", "any"], ["if", "you", "have", "questions"],
    ["if", "you", "need", "anything"], ["if", "you", "need", "any"],
    ["if", "you", "need", "more"], ["if", "you", "need", "additional"],
    ["if", "you", "need", "further"], ["if", "you", "require"],
    ["if", "there", "is", "anything"], ["if", "there", "are", "any", "questions"],
    ["if", "i", "can"], ["if", "we", "can"], ["what", "i", "can", "do"],
    ["if", "you", "would", "like", "to", "discuss"], ["if", "this", "is"],
    ["if", "that", "is"], ["if", "you", "want", "to", "discuss"],
    ["if", "there", "is", "anything", "else"], ["otherwise"],
    ["if", "you", "need", "anything", "else"], ["if", "you", "need", "help"],
    ["if", "you", "need", "me"], ["if", "i", "need", "to"],
    ["if", "you", "have", "problems"], ["if", "you", "have", "a", "problem"],
    ["if", "anything", "else"], ["if", "i", "missed"], ["if", "i", "left"],
    ["if", "you", "see", "anything", "else"], ["if", "this", "works"],
    # open offers that wait on the reader's wish: "let me know whenever you need it"
    ["whenever", "you"], ["when", "you", "need"], ["if", "you", "ever"],
    # offers of more help: "let me know if you still have problems", "... if you
    # needed more", "... if anything further is required"
    ["if", "you", "still", "have"], ["if", "you", "still", "need"], ["if", "you", "needed"],
    ["if", "you", "are", "having"], ["if", "you", "run", "into"], ["if", "you", "have", "trouble"],
    ["if", "you", "have", "issues"], ["if", "you", "have", "concerns"],
    ["if", "anything", "further"], ["if", "anything", "more"], ["if", "anything", "comes"],
    ["if", "something", "comes"], ["if", "further"], ["if", "additional"],
    ["if", "more", "is"], ["if", "you", "need", "info"], ["if", "you", "need", "information"],
    ["if", "you", "need", "something"], ["if", "you", "need", "to", "reach"],
    ["if", "you", "need", "to", "talk"], ["if", "you", "need", "to", "get"],
    ["should", "you", "need"], ["should", "you", "have"], ["should", "you", "require"],
    ["in", "case", "you", "need"], ["in", "case", "you", "have"],
]  # fmt: skip
# Conditional clauses of those closings that make the sentence an offer wherever they
# stand ("If you need anything, call my cell", "Call my cell if you need anything").
OFFER_CONDITIONS = [
    ["if", "you", "need", "anything"], ["if", "you", "need", "info"],
    ["if", "you", "need", "information"], ["if", "you", "need", "something"],
    ["if", "you", "need", "me"], ["if", "you", "need", "to", "reach"],
    ["if", "you", "still", "have"], ["if", "you", "needed"], ["if", "anything", "further"],
    ["if", "anything", "else"], ["if", "anything", "comes", "up"],
    ["if", "you", "have", "any", "questions"], ["if", "you", "have", "questions"],
    ["if", "you", "have", "any", "problems"], ["if", "you", "have", "problems"],
    ["if", "you", "run", "into"], ["if", "you", "have", "trouble"],
    ["should", "you", "need"], ["should", "you", "have", "any"],
    ["in", "case", "you", "need"], ["if", "there", "is", "anything"],
    ["if", "i", "can", "help"], ["if", "i", "can", "be", "of"],
]  # fmt: skip
COURTESY_QUESTIONS = [
    ["how", "are", "you"], ["how", "are", "things"], ["how", "is", "it", "going"],
    ["how", "'s", "it", "going"], ["how", "have", "you", "been"], ["what", "'s", "up"],
    ["how", "was", "your", "weekend"], ["how", "are", "you", "doing"],
    ["how", "is", "everything"], ["how", "'s", "everything"], ["how", "'s", "things"],
    ["how", "are", "ya"], ["how", "r", "u"], ["how", "was", "your", "trip"],
    ["how", "is", "everyone"], ["how", "'s", "everyone"], ["how", "are", "you", "all"],
]  # fmt: skip
# Words that open a sentence as an interjection, not as the addressee's name.
INTERJECTIONS = [
    "great", "ok", "okay", "thanks", "sure", "yes", "no", "fine", "good", "cool", "perfect",
    "excellent", "wonderful", "well", "oh", "hi", "hello", "hey", "sounds", "yeah", "right",
    "alright", "anyway", "again", "also", "otherwise", "sorry", "awesome", "terrific", "super",
]  # fmt: skip
# Sentences that look like asks but tell or greet: notices, news, agreement, farewells.
NOT_REQUEST = [
    ["see", "you", "then"], ["see", "you", "there"], ["see", "you", "soon"],
    ["see", "you", "tomorrow"], ["see", "you", "later"], ["see", "you", "next"],
    ["see", "you", "at"], ["see", "you", "on"], ["see", "you", "in"], ["see", "ya"],
    ["let", "'s", "do", "it"], ["let", "'s", "do", "that"], ["let", "'s", "go", "for", "it"],
    ["want", "to", "let", "you", "know"], ["wanted", "to", "let", "you", "know"],
    ["like", "to", "let", "you", "know"], ["just", "to", "let", "you", "know"],
    ["want", "to", "inform", "you"], ["wanted", "to", "inform", "you"],
    ["like", "to", "inform", "you"], ["pleased", "to", "inform"], ["pleased", "to", "announce"],
    ["happy", "to", "announce"], ["sad", "to", "report"], ["regret", "to", "inform"],
    ["you", "have", "received", "this"], ["you", "are", "receiving", "this"],
    ["you", "received", "this"], ["you", "are", "listed", "as"], ["you", "'re", "receiving"],
    ["this", "email", "because"], ["this", "e-mail", "because"], ["this", "message", "because"],
    ["if", "you", "are", "not", "the", "intended"], ["we", "should", "be", "able"],
    ["you", "should", "be", "able"], ["have", "a", "great", "weekend"],
    ["have", "a", "nice", "weekend"], ["have", "a", "good", "weekend"],
    ["have", "a", "great", "day"], ["have", "a", "nice", "day"], ["have", "a", "good", "day"],
    ["have", "a", "good", "one"], ["have", "fun"], ["enjoy", "your"], ["take", "care"],
    # a forwarded meeting notice, a receipt, a joke, an opinion
    ["come", "to", "the", "following"], ["attend", "the", "following"],
    ["return", "receipt"], ["do", "n't", "make", "me"], ["do", "not", "see", "why"],
    ["do", "n't", "see", "why"], ["not", "sure", "why", "we"],
    # the writer's own schedule or expectation ("we should hear something today")
    ["i", "'m", "scheduled"], ["i", "am", "scheduled"], ["i", "'m", "still", "scheduled"],
    ["i", "am", "still", "scheduled"], ["we", "'re", "scheduled"], ["we", "are", "scheduled"],
    ["we", "should", "hear"], ["we", "should", "know"], ["we", "should", "receive"],
    ["i", "should", "hear"], ["i", "should", "know"],
    # chain mail and charity appeals: asks of nobody in particular
    ["forward", "this", "to", "anyone"], ["forward", "this", "to", "everyone"],
    ["forward", "this", "to", "all"], ["forward", "it", "to", "anyone"],
    ["forward", "this", "on"], ["pass", "this", "on"], ["pass", "it", "on"],
    ["help", "distribute"], ["help", "spread"], ["to", "your", "own", "hard", "drive"],
    ["pray"], ["prayers"],
    # "Shona and I will address any requests you might have": an offer
    ["any", "requests", "you", "might"], ["any", "requests", "you", "may"],
    ["any", "questions", "you", "might"], ["any", "questions", "you", "may"],
]  # fmt: skip
# Short status chases put to the owner of the work: asks, whatever the classifier says.
STATUS_CHASES = [
    ["where", "are", "we", "on"], ["where", "are", "we", "with"], ["where", "do", "we", "stand"],
    ["where", "are", "you", "on"], ["where", "are", "you", "with"], ["where", "is", "this", "at"],
    ["any", "update", "on"], ["any", "updates", "on"], ["any", "update", "about"],
    ["any", "update", "regarding"], ["any", "news", "on"], ["any", "news", "about"],
    ["any", "word", "on"], ["any", "word", "from"], ["any", "progress", "on"],
    ["any", "luck", "with"], ["any", "luck", "on"], ["what", "is", "the", "status"],
    ["what", "'s", "the", "status"], ["whats", "the", "status"], ["status", "on", "the"],
    ["how", "are", "we", "doing", "on"], ["how", "are", "we", "coming"],
    ["how", "are", "you", "coming"], ["how", "is", "it", "coming"], ["how", "'s", "it", "coming"],
    ["have", "you", "had", "a", "chance"], ["did", "you", "get", "a", "chance"],
    ["did", "you", "have", "a", "chance"], ["what", "happened", "with"],
    # indirect questions put to the one who knows: "I am wondering if this is correct"
    ["i", "am", "wondering", "if"], ["i", "'m", "wondering", "if"], ["i", "was", "wondering", "if"],
    ["i", "am", "wondering", "whether"], ["i", "was", "wondering", "whether"],
    ["i", "wonder", "if"], ["i", "wonder", "whether"],
]  # fmt: skip
# Chatty questions about something seen or heard ("Did you see it?"): no ask to act on.
CHAT_QUESTION_VERBS = ["see", "notice", "catch", "watch", "enjoy", "like", "hear", "read"]
# A promise conditional on something that must happen first, when the condition comes
# before it: "Once the database is set up we will ...", "When you have decided ... I'll".
# (After the promise, "I'll forward it once I get it", the condition only times it.)
LEADING_CONDITIONS = [
    ["once", "the"], ["once", "they"], ["once", "it"], ["once", "you"], ["once", "he"],
    ["once", "she"], ["once", "this"], ["once", "that"], ["once", "these"], ["once", "those"],
    ["once", "everything"], ["once", "all"], ["once", "our"], ["once", "your"],
    ["once", "we"], ["once", "i"],
    ["when", "you"], ["when", "they"], ["when", "he"], ["when", "she"], ["when", "the"],
    ["as", "soon", "as", "you"], ["as", "soon", "as", "the"], ["as", "soon", "as", "they"],
    ["after", "you"], ["after", "they"], ["after", "the"], ["until", "the"], ["until", "you"],
    ["depending", "on"], ["assuming"], ["provided", "that"], ["pending"],
]  # fmt: skip
# Answers that accept a proposal: nothing asked back.
ACCEPTANCES = [
    ["would", "be", "great"], ["would", "be", "fine"], ["would", "be", "perfect"],
    ["would", "be", "good"], ["would", "be", "ideal"], ["would", "work"], ["works", "for", "me"],
    ["work", "for", "me"], ["works", "best"], ["is", "fine"], ["sounds", "good"],
    ["sounds", "great"], ["sounds", "fine"], ["is", "perfect"], ["works", "fine"],
]  # fmt: skip
# Phrases that deny or doubt what follows: "it is unlikely that we will ...".
DOUBTS = [
    ["unlikely"], ["doubt"], ["doubtful"], ["no", "way"], ["do", "n't", "think"],
    ["do", "not", "think"], ["do", "n't", "expect"], ["do", "not", "expect"],
    ["not", "likely"], ["not", "expected"], ["not", "planning"], ["no", "plans"],
]  # fmt: skip
TAG_QUESTIONS = ["ok", "okay", "right", "no", "yes", "huh", "eh", "yeah", "agreed"]
FYI = [
    ["please", "see", "attached"], ["please", "see", "the", "attached"],
    ["please", "find", "attached"], ["please", "see", "below"], ["please", "ignore"],
    ["please", "disregard"], ["please", "find", "enclosed"], ["please", "find", "the"],
    ["see", "attached"], ["attached", "is"], ["attached", "are"], ["here", "is"],
    ["here", "are"], ["please", "note", "that"], ["please", "be", "advised"],
    ["please", "be", "aware"], ["please", "excuse"], ["please", "forgive"],
    ["please", "take", "note"], ["take", "note", "of"],
    # pointers into a document: "See tab 2", "see page 4", "see below"
    ["see", "tab"], ["see", "page"], ["see", "pages"], ["see", "below"], ["see", "above"],
    ["see", "the", "tab"], ["see", "the", "below"], ["see", "section"], ["see", "column"],
    ["see", "sheet"], ["see", "the", "attachment"],
    # telling, not asking: "Please keep in mind that these deals need their own books"
    ["keep", "in", "mind", "that"], ["bear", "in", "mind"], ["please", "remember", "that"],
]  # fmt: skip
# Marketing calls to action: an imperative that asks nothing of a correspondent.
MARKETING = [
    "click", "unsubscribe", "subscribe", "buy", "order", "shop", "shopping", "earn",
    "win", "free", "offer", "save", "deal", "deals", "discount", "visit", "download",
    "act", "hurry", "limited", "guaranteed", "$", "!", "%", "apply", "claim", "bonus",
    "credit", "loan", "debt", "cash", "prize", "opt", "viagra", "mortgage", "rates",
]  # fmt: skip


def _seq(words: list[str]) -> Pattern:
    return [{"LOWER": w} for w in words]


def build_patterns() -> dict[str, list[Pattern]]:
    """Return the Matcher patterns, keyed by label."""
    you = {"LOWER": {"IN": YOU}}
    p: dict[str, list[Pattern]] = {
        # "can you", "could you please", "would you mind", "will you"
        "REQ_MODAL_YOU": [
            [{"LOWER": {"IN": ["can", "could", "would", "will", "wo"]}}, you],
            [{"LOWER": {"IN": ["can", "could", "would", "will"]}}, {"LOWER": "n't"}, you],
            [{"LOWER": {"IN": ["can", "could", "would"]}}, {"LOWER": "someone"}],
            [{"LOWER": "would"}, {"LOWER": "it"}, {"LOWER": "be"}, {"LOWER": "possible"}],
            [{"LOWER": "is"}, {"LOWER": "it"}, {"LOWER": "possible"}],
            [{"LOWER": "do"}, you, {"LOWER": {"IN": ["mind", "have", "know", "think", "want"]}}],
        ],
        "REQ_PLEASE": [
            [{"LOWER": {"IN": ["please", "pls", "plz", "kindly"]}}],
        ],
        "REQ_LMK": [
            [
                {"LOWER": "let"},
                {"LOWER": {"IN": ["me", "us", "them", "him", "her"]}},
                {"LOWER": "know"},
            ],
            [
                {"LOWER": {"IN": ["get", "come"]}},
                {"LOWER": "back"},
                {"LOWER": "to"},
                {"LOWER": {"IN": ["me", "us"]}},
            ],
            [
                {"LOWER": "give"},
                {"LOWER": {"IN": ["me", "us"]}},
                {"LOWER": "a"},
                {"LOWER": {"IN": ["call", "ring", "shout"]}},
            ],
            [
                {"LOWER": {"IN": ["call", "email", "e-mail", "ping", "tell"]}},
                {"LOWER": {"IN": ["me", "us"]}},
            ],
            [{"LOWER": "keep"}, {"LOWER": {"IN": ["me", "us"]}}, {"LOWER": "posted"}],
        ],
        "REQ_LETS": [
            [{"LOWER": "let"}, {"LOWER": "'s"}],
            [{"LOWER": "lets"}],
            [{"LOWER": "shall"}, {"LOWER": "we"}],
            [{"LOWER": "why"}, {"LOWER": "do"}, {"LOWER": "n't"}, {"LOWER": {"IN": ["we", "you"]}}],
            [{"LOWER": "how"}, {"LOWER": "about"}],
            [{"LOWER": "what"}, {"LOWER": "about"}],
            [{"LOWER": "we"}, {"LOWER": {"IN": ["should", "need", "must"]}}],
            [{"LOWER": "we"}, {"LOWER": "will"}, {"LOWER": "need"}],
            [{"LOWER": "we"}, {"LOWER": "have"}, {"LOWER": "to"}],
            [{"LOWER": "we"}, {"LOWER": "'ve"}, {"LOWER": "got"}, {"LOWER": "to"}],
        ],
        "REQ_NEED_YOU": [
            [
                {
                    "LOWER": {
                        "IN": [
                            "need",
                            "needs",
                            "want",
                            "like",
                            "ask",
                            "asking",
                            "require",
                            "expect",
                            "appreciate",
                            "encourage",
                            "invite",
                        ]
                    }
                },
                {"LOWER": {"IN": ["you", "your", "everyone", "all", "us"]}},
            ],
            [
                {"LOWER": {"IN": ["i", "we"]}},
                {"LOWER": {"IN": ["'d", "would"]}},
                {"LOWER": {"IN": ["like", "love", "appreciate", "need"]}},
            ],
            [
                {"LOWER": {"IN": ["i", "we"]}},
                {"LOWER": {"IN": ["'ll", "will"]}},
                {"LOWER": {"IN": ["also", "still", "then"]}, "OP": "?"},
                {"LOWER": "need"},
            ],
            [{"LOWER": {"IN": ["i", "we"]}}, {"LOWER": "could"}, {"LOWER": "use"}],
            [
                {"LOWER": {"IN": ["i", "we"]}},
                {"LOWER": {"IN": ["need", "needed", "want"]}},
                {
                    "LOWER": {
                        "IN": [
                            "the",
                            "a",
                            "an",
                            "this",
                            "that",
                            "these",
                            "those",
                            "it",
                            "them",
                            "some",
                            "any",
                            "more",
                            "updated",
                        ]
                    }
                },
            ],
            [
                {"LOWER": "i", "OP": "?"},
                {"LOWER": {"IN": ["am", "'m", "was"]}},
                {"LOWER": "wondering"},
            ],
            [{"LOWER": "i"}, {"LOWER": "wonder"}],
            [
                {"LOWER": {"IN": ["i", "we"]}},
                {"LOWER": {"IN": ["am", "'m", "are", "'re"]}},
                {"LOWER": {"IN": ["waiting", "looking"]}},
                {"LOWER": {"IN": ["for", "forward"]}},
                {"LOWER": {"IN": ["your", "you", "to"]}},
                {
                    "LOWER": {
                        "IN": ["hearing", "reply", "response", "answer", "feedback", "comments"]
                    }
                },
            ],
            [
                {"LOWER": "any"},
                {
                    "LOWER": {
                        "IN": [
                            "ideas",
                            "thoughts",
                            "suggestions",
                            "comments",
                            "feedback",
                            "update",
                            "news",
                        ]
                    }
                },
            ],
        ],
        "REQ_YOU_MUST": [
            [
                you,
                {"LOWER": {"IN": ["need", "needs", "must", "should", "'ll", "will", "ought"]}},
                {
                    "LOWER": {
                        "IN": ["to", "need", "have", "be", "want", "probably", "also", "please"]
                    },
                    "OP": "?",
                },
            ],
            # "you have to", not "you have received"
            [you, {"LOWER": {"IN": ["have", "'ve"]}}, {"LOWER": "got", "OP": "?"}, {"LOWER": "to"}],
            [{"LOWER": "make"}, {"LOWER": "sure"}],
            # "be sure to ..." as an order, not "to be sure we have ..."
            [{"LOWER": "be", "IS_SENT_START": True}, {"LOWER": "sure"}],
            [{"LOWER": "please"}, {"LOWER": "be"}, {"LOWER": "sure"}],
            [{"LOWER": "do"}, {"LOWER": "n't"}, {"LOWER": {"IN": ["forget", "hesitate"]}}],
            [{"LOWER": "remember"}, {"LOWER": "to"}],
            [{"LOWER": "is"}, {"LOWER": "due"}],
            [{"LOWER": "are"}, {"LOWER": "due"}],
            [{"LOWER": "deadline"}],
            [{"LOWER": {"IN": ["rsvp", "r.s.v.p."]}}],
        ],
        "REQ_IMPERATIVE": [
            [{"IS_SENT_START": True, "LOWER": {"IN": IMPERATIVE_VERBS}}],
            # "Dana, please ..." / "Also, send ..." / "Then check ..."
            [
                {"IS_SENT_START": True, "IS_TITLE": True, "LOWER": {"NOT_IN": INTERJECTIONS}},
                {"LOWER": ","},
                {"LOWER": {"IN": IMPERATIVE_VERBS}},
            ],
            [
                {
                    "IS_SENT_START": True,
                    "LOWER": {
                        "IN": [
                            "also",
                            "then",
                            "and",
                            "so",
                            "just",
                            "now",
                            "first",
                            "finally",
                            "again",
                        ]
                    },
                },
                {"LOWER": ",", "OP": "?"},
                {"LOWER": {"IN": IMPERATIVE_VERBS}},
            ],
        ],
        "CMT_WILL": [
            # the subject left out, as in a quick reply: "Will let you know."
            [
                {"IS_SENT_START": True, "LOWER": {"IN": ["will", "shall"]}},
                {"LOWER": {"IN": ["let", "send", "call", "get", "do", "check", "forward"]}},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": WILL}},
                {
                    "LOWER": {
                        "IN": [
                            "also",
                            "then",
                            "definitely",
                            "certainly",
                            "just",
                            "still",
                            "now",
                            "gladly",
                            "personally",
                            "each",
                            "both",
                            "all",
                            "immediately",
                            "quickly",
                            "first",
                        ]
                    },
                    "OP": "*",
                },
                {"LOWER": {"IN": [*COMMIT_VERBS, "be"]}},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["am", "'m", "are", "'re"]}},
                {"LOWER": "going"},
                {"LOWER": "to"},
                {"LOWER": {"IN": [*COMMIT_VERBS, "be"]}},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["am", "'m", "are", "'re"]}},
                {"LOWER": "gon"},
                {"LOWER": "na"},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["plan", "intend", "promise", "commit", "undertake", "expect"]}},
                {"LOWER": "to"},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["am", "'m", "are", "'re"]}},
                {"LOWER": "about"},
                {"LOWER": "to"},
            ],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["can", "could"]}},
                {
                    "LOWER": {
                        "IN": [
                            "send",
                            "give",
                            "get",
                            "take",
                            "forward",
                            "provide",
                            "meet",
                            "help",
                            "do",
                            "have",
                            "handle",
                            "set",
                            "bring",
                            "call",
                            "pick",
                            "cover",
                            "make",
                            "put",
                        ]
                    }
                },
            ],
        ],
        "CMT_LET_ME": [
            [
                {"LOWER": "let"},
                {"LOWER": "me"},
                {
                    "LOWER": {
                        "IN": [
                            "check",
                            "see",
                            "look",
                            "find",
                            "ask",
                            "confirm",
                            "get",
                            "think",
                            "review",
                            "follow",
                            "verify",
                            "dig",
                            "talk",
                            "investigate",
                            "work",
                            "take",
                            "send",
                            "forward",
                            "circle",
                            "touch",
                            "double",
                            "run",
                            "pull",
                            "call",
                        ]
                    }
                },
            ],
        ],
        "CMT_FIXED": [
            _seq(["will", "do"]),
            _seq(["i", "'m", "on", "it"]),
            _seq(["i", "am", "on", "it"]),
            _seq(["consider", "it", "done"]),
            _seq(["get", "back", "to", "you"]),
            _seq(["i", "'ll", "take", "care"]),
            _seq(["leave", "it", "with", "me"]),
            _seq(["i", "will", "be", "attending"]),
            _seq(["i", "will", "be", "there"]),
            _seq(["i", "'ll", "be", "there"]),
            _seq(["count", "me", "in"]),
        ],
        "NEG_HEDGE": [
            [{"LOWER": {"IN": HEDGES}}],
            _seq(["should", "be", "able"]),
            _seq(["will", "be", "able"]),
            _seq(["'ll", "be", "able"]),
            _seq(["if", "possible"]),
            _seq(["not", "sure"]),
            _seq(["if", "i", "can"]),
        ],
        "REQ_STATUS": [_seq(words) for words in STATUS_CHASES],
        "NEG_CHAT_Q": [
            [
                {"IS_SENT_START": True, "LOWER": "did"},
                {"LOWER": {"IN": YOU}},
                {"LOWER": {"IN": CHAT_QUESTION_VERBS}},
            ],
        ],
        # "9:30 I will meet with the weekend team": an agenda or itinerary line.
        "NEG_AGENDA": [
            [{"IS_SENT_START": True, "TEXT": {"REGEX": r"^\d{1,2}:\d{2}(?:[ap]\.?m\.?)?$"}}],
            [
                {"IS_SENT_START": True, "TEXT": {"REGEX": r"^\d{1,2}$"}},
                {"LOWER": {"IN": ["am", "pm", "a.m.", "p.m."]}},
            ],
            [
                {"IS_SENT_START": True, "LOWER": {"IN": ["at", "by", "from", "around", "-", "*"]}},
                {"TEXT": {"REGEX": r"^\d{1,2}:\d{2}(?:[ap]\.?m\.?)?$"}},
            ],
        ],
        # "Thursday would be great", "Saturday works for me": an answer that accepts.
        "NEG_ACCEPT": [_seq(words) for words in ACCEPTANCES],
        "NEG_LEAD_COND": [_seq(words) for words in LEADING_CONDITIONS],
        "NEG_OFFER_IF": [_seq(words) for words in OFFER_CONDITIONS],
        "NEG_COND": [
            [{"LOWER": {"IN": ["if", "unless", "whether"]}}],
            _seq(["in", "case"]),
            _seq(["as", "long", "as"]),
        ],
        "NEG_NOT": [
            *[_seq(words) for words in DOUBTS],
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["will", "'ll", "wo", "can", "ca"]}},
                {"LOWER": {"IN": ["not", "n't", "never"]}},
            ],
        ],
        "NEG_COURTESY_CMT": [
            [{"LOWER": {"IN": FIRST}}, {"LOWER": {"IN": WILL}}, *_seq(words)]
            for words in COURTESY_AFTER_WILL
        ]
        + [
            [{"LOWER": {"IN": FIRST}}, *_seq([be, "going", "to"]), *_seq(words)]
            for be in ("am", "'m", "are", "'re")
            for words in COURTESY_AFTER_WILL
        ]
        + [
            # "We'll see those variances": a prediction ("I'll see to it", "I'll see
            # that it is done" and "I'll see if I can" are another matter).
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": WILL}},
                {"LOWER": "see"},
                {"LOWER": {"NOT_IN": ["to", "that", "about", "if", "whether"]}},
            ]
        ]
        + [
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": WILL}},
                {"LOWER": {"IN": COURTESY_ADVERBS}},
                *_seq(words),
            ]
            for words in COURTESY_AFTER_WILL
        ],
        "NEG_PRESENCE": [
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": WILL}},
                {"LOWER": {"IN": COURTESY_ADVERBS}, "OP": "?"},
                *_seq(words),
            ]
            for words in PRESENCE_AFTER_WILL
        ],
        # A standing practice or plan, not a deliverable: no promise in the sentence.
        "NEG_PLAN": [_seq(words) for words in STANDING_PRACTICE],
        # "... so we can set up": the "we can" inside it promises nothing.
        "NEG_PURPOSE": [_seq(words) for words in PURPOSE_CLAUSE],
        # "I can come and pick you up": an offer made, nothing asked of the reader.
        "NEG_OFFER": [
            [{"IS_SENT_START": True, "LOWER": "i"}, {"LOWER": "can"}],
            [
                {"IS_SENT_START": True, "LOWER": {"IN": INTERJECTIONS}},
                {"LOWER": ",", "OP": "?"},
                {"LOWER": "i"},
                {"LOWER": "can"},
            ],
        ],
        "NEG_COURTESY_LMK": [[{"LOWER": "know"}, *_seq(words)] for words in COURTESY_LMK]
        + [
            [
                {"LOWER": {"IN": ["call", "contact", "email", "reach"]}},
                {"LOWER": {"IN": ["me", "us"]}},
                *_seq(words),
            ]
            for words in COURTESY_LMK
        ]
        + [
            [{"LOWER": "do"}, {"LOWER": "n't"}, {"LOWER": "hesitate"}],
            _seq(["feel", "free"]),
            _seq(["you", "can", "reach", "me"]),
            _seq(["questions", "please"]),
            _seq(["questions", ",", "please"]),
            _seq(["any", "questions"]),
        ],
        "NEG_COURTESY_Q": [_seq(words) for words in COURTESY_QUESTIONS],
        "NEG_FYI": [_seq(words) for words in FYI],
        "NEG_NOT_REQ": [_seq(words) for words in NOT_REQUEST]
        + [
            # "For seminar dates and hotel information, call ... or visit ...": a notice.
            [
                {"IS_SENT_START": True, "LOWER": "for"},
                {"OP": "?"},
                {"OP": "?"},
                {"OP": "?"},
                {"LOWER": {"IN": ["information", "info", "details", "dates", "registration"]}},
            ],
        ],
        "NEG_MARKETING": [[{"LOWER": {"IN": MARKETING}}]],
        "NEG_PAST": [
            [
                {"LOWER": {"IN": FIRST}},
                {"LOWER": {"IN": ["have", "'ve", "had", "'d"]}},
                {"LOWER": {"IN": ["already", "just", "also"]}, "OP": "?"},
                {
                    "LOWER": {
                        "IN": [
                            "sent",
                            "done",
                            "called",
                            "forwarded",
                            "talked",
                            "spoken",
                            "given",
                            "made",
                            "attached",
                            "finished",
                            "completed",
                        ]
                    }
                },
            ],
            [{"LOWER": {"IN": ["said", "told", "promised", "mentioned", "thought"]}}],
        ],
    }
    return p
