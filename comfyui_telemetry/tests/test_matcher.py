"""The one matcher of remembered values finds every occurrence a naive scan finds (long values
through the sampled index, short ones through the small regex), at any alignment."""

import random
import re

from comfyui_telemetry.matcher import LONG, LiteralSet


def naive(words, text):
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    return [m.span() for m in pattern.finditer(text)]


def test_every_occurrence_is_found_like_a_naive_scan():
    rng = random.Random(7)
    alphabet = "ab.c\"\\-é"
    for _ in range(2000):
        words = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 2 * LONG)))
                 for _ in range(rng.randint(1, 6))}
        text = "".join(rng.choice(alphabet + "xyz") for _ in range(rng.randint(0, 40)))
        for w in sorted(words):  # plant each at a random place (same order in every process)
            at = rng.randint(0, len(text))
            text = text[:at] + w + text[at:]
        s = LiteralSet()
        for w in words:
            s.add(w, "#")
        got = [(a, b) for a, b, _ in s.matches(text)]
        assert got == naive(words, text), (words, text)
        assert s.search(text)
        assert s.sub(text) == re.sub("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), "#", text)


def test_removed_values_are_no_longer_found():
    s = LiteralSet()
    s.add("comfyui-0123456789abcdef", "[redacted]")
    s.add("comfyui-0123456789abcdeX", "[redacted]")  # shares grams with the first
    s.add("k9", "[redacted]")
    s.discard("comfyui-0123456789abcdef")
    s.discard("k9")
    assert s.sub("a comfyui-0123456789abcdef k9 comfyui-0123456789abcdeX") == \
        "a comfyui-0123456789abcdef k9 [redacted]"
    assert s.matches("nothing comfyui-0123456789abcdef here k9") == []
    assert not s.search("nothing else here k8")
    assert len(s) == 1
