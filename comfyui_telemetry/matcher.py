"""One matcher for a set of literal strings whose scan cost does not grow with the set.

Python's `re` tries the branches of an alternation one after the other at every position, so a
pattern over a thousand secrets costs a thousand comparisons per character (and compiling it
takes a second). Instead, for strings of at least `LONG` characters (every real credential and
socket id), the matcher keeps a sampled k-gram index: for each string `s`, its `STEP` grams
`s[o:o+GRAM]`, o in 0..STEP-1, mapped to `(s, o)`. Any occurrence of `s` in a text covers exactly
one position that is a multiple of `STEP` at an offset o < STEP, and the gram there is indexed.
So a scan slices the text's grams at every STEP-th position (`len/STEP` slices) and asks the
index whether it knows any of them: one C-level set test whatever the number of strings. A hit is
confirmed with `startswith`. Adding or removing a string touches `STEP` index entries; nothing is
ever recompiled.

Shorter strings (rare: a made-up credential, a short client id) go to a plain regex alternation,
rebuilt when that small set changes.
"""

import re
import threading

GRAM = 6
STEP = 6
LONG = GRAM + STEP - 1  # shortest string the sampled index can find
NEVER = re.compile(r"(?!)")


class LiteralSet:
    """Strings to find in texts, each with its replacement. Writers lock; readers never do (each
    read is one dict operation, atomic under the GIL)."""

    def __init__(self):
        self._index = {}  # gram -> tuple of (string, offset)
        self._replacement = {}  # string -> replacement
        self._short = NEVER
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._replacement)

    def add(self, s, replacement):
        if not s:
            return
        with self._lock:
            known = s in self._replacement
            self._replacement[s] = replacement
            if known:
                return
            if len(s) >= LONG:
                for o in range(STEP):
                    g = s[o:o + GRAM]
                    self._index[g] = self._index.get(g, ()) + ((s, o),)
            else:
                self._rebuild_short()

    def discard(self, s):
        with self._lock:
            if self._replacement.pop(s, None) is None:
                return
            if len(s) >= LONG:
                for o in range(STEP):
                    g = s[o:o + GRAM]
                    rest = tuple(e for e in self._index.get(g, ()) if e != (s, o))
                    if rest:
                        self._index[g] = rest
                    else:
                        self._index.pop(g, None)
            else:
                self._rebuild_short()

    def _rebuild_short(self):
        short = sorted((s for s in self._replacement if len(s) < LONG), key=len, reverse=True)
        # A lookahead: the longest short string at *every* position (matches may overlap; the
        # merge in `matches` keeps the leftmost-longest ones that do not).
        self._short = re.compile("(?=(" + "|".join(map(re.escape, short)) + "))") if short else NEVER

    def _grams(self, text):
        return [text[i:i + GRAM] for i in range(0, len(text) - GRAM + 1, STEP)]

    def search(self, text):
        """Whether any string occurs in `text` (a gram hit not confirmed counts: the caller's
        slow path then finds nothing to replace)."""
        if self._index and not self._index.keys().isdisjoint(self._grams(text)):
            return True
        return self._short.search(text) is not None

    def matches(self, text):
        """[(start, end, replacement)] of every occurrence, leftmost-longest, non-overlapping."""
        found = []
        index = self._index
        if index:
            for n, g in enumerate(self._grams(text)):
                for s, o in index.get(g, ()):
                    start = n * STEP - o
                    if start >= 0 and text.startswith(s, start):
                        found.append((start, start + len(s)))
        short = self._short
        if short is not NEVER:
            found.extend(m.span(1) for m in short.finditer(text))
        if not found:
            return []
        found.sort(key=lambda span: (span[0], -span[1]))
        out, end = [], -1
        rep = self._replacement
        for a, b in found:
            if a >= end:
                r = rep.get(text[a:b])
                if r is not None:
                    out.append((a, b, r))
                    end = b
        return out

    def sub(self, text):
        """`text` with every occurrence replaced."""
        spans = self.matches(text)
        if not spans:
            return text
        parts, last = [], 0
        for a, b, r in spans:
            parts.append(text[last:a])
            parts.append(r)
            last = b
        parts.append(text[last:])
        return "".join(parts)
