"""`craftvision hs lookup | search | paths | suggest`: HS 2022 codes from the nomenclature and the taxonomy."""

from __future__ import annotations

import json
import sys

from ..errors import AnswerError
from .common import add_answers, add_format, add_lang, parse_answers

DESTINATIONS = ("us", "fr", "es", "other_eu", "other")  # craftvision.taxonomy.destinations.DESTINATIONS, kept import-free here


def register(sub) -> None:
    hs = sub.add_parser("hs", help="HS 2022 codes: lookup, search, paths, suggest")
    hsub = hs.add_subparsers(dest="hs_command", required=True)
    lk = hsub.add_parser("lookup", help="look an HS code up (older editions recognised)")
    lk.add_argument("code")
    lk.add_argument("--json", action="store_true")
    lk.set_defaults(func=cmd_hs_lookup)
    se = hsub.add_parser("search", help="rank taxonomy paths and HS 2022 codes for words in French, Arabic or English")
    se.add_argument("text", nargs="+")
    se.add_argument("--limit", type=int, default=5)
    add_lang(se)
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=cmd_hs_search)
    pa = hsub.add_parser("paths", help="list every complete answer path of the taxonomy (or of one category)")
    pa.add_argument("category", nargs="?")
    add_format(pa)
    add_lang(pa)
    pa.set_defaults(func=cmd_hs_paths)
    sg = hsub.add_parser("suggest", help="suggest a code for a category from answers")
    sg.add_argument("category")
    add_answers(sg, help=None)
    add_lang(sg)
    sg.add_argument("--json", action="store_true")
    sg.add_argument("--no-input", action="store_true", help="never ask on the terminal")
    sg.add_argument("--destination", choices=DESTINATIONS, help="after the code: national line, origin route, product rules")
    sg.set_defaults(func=cmd_hs_suggest)


def cmd_hs_lookup(args) -> int:
    from ..taxonomy import lookup

    res = lookup(args.code)
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if res.code:
        print(f"{res.code.display}  [{res.code.level_name}, HS 2022]  {res.code.description}")
        for p in res.parents:
            print(f"  within {p.display} ({p.level_name}): {p.description}")
    else:
        old = res.older
        print(f"{old['code']} is a code of {old['edition']}, not of HS 2022: {old['description']}")
        print("HS 2022 candidates (confirm with customs):")
        for c in old["candidates"]:
            print(f"  {c.display}  {c.description}")
    return 0


def cmd_hs_search(args) -> int:
    from ..taxonomy.textsearch import render_hits_text, search_products

    hits = search_products(" ".join(args.text), limit=args.limit)
    if args.json:
        print(json.dumps([h.to_dict(args.lang) for h in hits], ensure_ascii=False, indent=1))
    else:
        print(render_hits_text(hits, args.lang))
    return 0


def cmd_hs_paths(args) -> int:
    from ..taxonomy.paths import list_paths, paths_csv, paths_json, paths_table

    paths = list_paths(args.category)
    render = {"table": lambda: paths_table(paths, args.lang), "json": lambda: paths_json(paths, args.lang),
              "csv": lambda: paths_csv(paths, args.lang)}[args.format]
    print(render())
    if args.format != "table":
        from ..taxonomy import load_taxonomy

        print(load_taxonomy().research_notice[args.lang], file=sys.stderr)
    return 0


def print_suggestion(s, lang: str, file=sys.stdout) -> None:
    """Human-readable suggestion: code or candidates, the next question, the disclaimer."""
    for q, a in s.path:
        print(f"  answered {q} = {a}", file=file)
    if s.code:
        print(f"HS {s.code.display}  {s.code.description}", file=file)
        for lg in ("fr", "en"):
            print(f"  declaration ({lg}): {s.declaration_line(lg)}", file=file)
    else:
        print("Headings: " + "; ".join(f"{h.display} {h.description}" for h in s.headings), file=file)
        if s.candidates:
            print("Candidate subheadings:", file=file)
        for c in s.candidates:
            print(f"  {c.display}  {c.description}", file=file)
    if s.note:
        print(f"Note: {s.note[lang]}", file=file)
        print(f"  ({s.research_notice[lang]})", file=file)
    if s.next_question:
        q = s.next_question
        print(f"Next question ({q.id}): {q.text[lang]}", file=file)
        for o in q.options.values():
            print(f"  --answer {q.id}={o.id}   {o.label[lang]}", file=file)
    print(f"({s.disclaimer[lang]})", file=file)


def cmd_hs_suggest(args) -> int:
    from ..taxonomy import load_taxonomy

    tax = load_taxonomy()
    answers = parse_answers(args.answer)
    s = tax.suggest(args.category, answers)
    interactive = not args.no_input and sys.stdin.isatty() and sys.stdout.isatty()
    while interactive and s.next_question is not None:
        q = s.next_question
        print(f"{q.text[args.lang]}")
        if q.help:
            print(f"  ({q.help[args.lang]})")
        opts = list(q.options.values())
        for i, o in enumerate(opts, 1):
            print(f"  {i}. {o.label[args.lang]}  [{o.id}]")
        choice = input("> ").strip()
        picked = opts[int(choice) - 1].id if choice.isdigit() and 1 <= int(choice) <= len(opts) else choice
        try:
            s = tax.suggest(args.category, {**answers, q.id: picked})
            answers[q.id] = picked
        except AnswerError as exc:
            print(exc)
    advice = None
    if args.destination:
        from ..taxonomy.destinations import destination_advice

        advice = destination_advice(args.category, s.code.display if s.code else None, args.destination, args.lang)
    if args.json:
        out = s.to_dict(args.lang)
        if advice:
            out["destination"] = advice.to_dict()
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print_suggestion(s, args.lang)
        if advice:
            from ..taxonomy.destinations import render_text

            print()
            print(render_text(advice))
    return 0
