"""``wsgicheck rules`` and ``wsgicheck explain``: the rule catalogue on the terminal."""

from __future__ import annotations

import argparse

from .model.errors import UsageError


def run_rules(args: argparse.Namespace) -> int:
    from .report.common import BINDING_TITLES, plural
    from .rules import REGISTRY, Binding
    from .settings import no_rule_matches

    for pattern in args.patterns:
        if problem := no_rule_matches(pattern.upper()):
            raise UsageError(problem)
    chosen = [
        each
        for each in REGISTRY.select([pattern.upper() for pattern in args.patterns])
        if args.level is None or each.level.value == args.level
    ]
    if args.json:
        import json

        catalogue = [
            {
                "id": each.id,
                "level": each.level.value,
                "implied": each.implied,
                "binding": each.binding.value,
                "section": each.section,
                "summary": each.summary,
                "pep": each.pep,
                "covers": list(each.covers),
                "example": each.example,
            }
            for each in chosen
        ]
        print(json.dumps(catalogue, indent=2, ensure_ascii=False))
        return 0
    width = max((len(each.id) for each in chosen), default=0)
    for binding in Binding:
        group = [each for each in chosen if each.binding is binding]
        if not group:
            continue
        print(f"{BINDING_TITLES[binding]} ({len(group)})")
        for each in group:
            head = f"  {each.id:<{width}}  {each.level.value:<6}  "
            print("\n".join(wrap_text(each.summary, head, " " * len(head), width=100)))
        print()
    must = sum(each.level.value == "MUST" for each in chosen)
    print(
        f"{plural(len(chosen), 'rule')} ({must} MUST, {len(chosen) - must} SHOULD). "
        "`wsgicheck explain RULE_ID` shows one in full."
    )
    return 0


def run_explain(args: argparse.Namespace) -> int:
    import difflib

    from .rules import REGISTRY
    from .rules.verdicts import Verdict

    rule_id = args.rule.strip().upper()
    if rule_id not in REGISTRY:
        ids = REGISTRY.ids()
        close = [each for each in ids if rule_id and rule_id in each]
        # Above difflib's 0.6: ids share their prefixes, so APP-NOPE was 0.6 like
        # APP-IF-RANGE, which is nothing like it (a trial of 2026-12-07).
        close += [
            each
            for each in difflib.get_close_matches(rule_id, ids, n=3, cutoff=0.7)
            if each not in close
        ]
        hint = f"; did you mean {', '.join(close[:3])}?" if close else " (see: wsgicheck rules)"
        raise UsageError(f"no rule {args.rule!r}{hint}")
    each = REGISTRY[rule_id]
    lines = [
        f"{each.id} ({each.level_shown}, binds the {each.binding.value})",
        "",
        *wrap_text(each.summary, "  "),
        "",
        f"{each.citation}:",
        *wrap_text(each.pep, "  "),
    ]
    if each.implied:
        keyword = each.level.value
        if each.covers:
            why = (
                f"Implied: the text states no {keyword} in so many words; the requirement "
                "follows from it or from the PEP's own example code (the catalogue, "
                "specs/pep3333-rules.md, marks the row with a dagger)."
            )
        else:  # a rule of HTTP's, from no catalogue row
            why = (
                f"Implied: {each.source} states no {keyword} in so many words; the "
                "requirement follows from its definitions (specs/traceability/extra.md "
                "gives the reasoning, and marks the row with a dagger)."
            )
        lines += ["", *wrap_text(why, "")]
    if each.example:
        lines += ["", "Example of a violation and its fix:"]
        lines += ["  " + line for line in each.example.splitlines()]
    if each.covers:
        lines += ["", f"Catalogue rows (specs/): {', '.join(each.covers)}"]
    fails = Verdict.for_broken(each.level, strict=False) is Verdict.FAIL
    level = "fails a run" if fails else "warns (fails a run only with --strict)"
    lines += [
        "",
        *wrap_text(f"A finding of this rule {level}; select it alone with --select {each.id}.", ""),
    ]
    print("\n".join(lines))
    return 0


def wrap_text(text: str, indent: str, more: str | None = None, width: int = 92) -> list[str]:
    import textwrap

    more = indent if more is None else more
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=more)
