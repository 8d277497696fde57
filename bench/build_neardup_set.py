"""Build the labelled near-duplicate set: re-published copies and hard negatives.

    python bench/build_neardup_set.py tests/resources/neardup

Reads DIR/edits.toml (hand-written headlines, sapos, credits, follow-up stories) and the
mirror's expected articles under tests/resources/, writes DIR/articles.jsonl (id, title,
lead, body) and DIR/pairs.jsonl (a, b, same, kind), one JSON object a line. Deterministic:
re-running it rewrites the same files.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent.parent / "tests" / "resources"
Piece = dict[str, Any]  # title, lead, body (list of paragraphs)
Edit = dict[str, Any]  # one row of the edits file: headline, sapo, credit, related (a list)

# Light rewording an editor does: the first occurrence of each, per paragraph.
REWORDING = (("cho biết", "cho hay"), ("Tuy nhiên", "Dù vậy"), ("đồng thời", "cùng với đó"),
             ("Bên cạnh đó", "Ngoài ra"), ("tăng cường", "đẩy mạnh"), ("UBND", "Ủy ban nhân dân"),
             ("trên địa bàn", "tại"), ("người dân", "bà con"), ("hiện nay", "hiện tại"),
             ("Hội nghị", "hội nghị"), ("đã tổ chức", "tổ chức"), ("nhiều", "không ít"))
# Site furniture a re-publisher's page adds around the text (and an extractor may keep).
TOP_LINES = ("Cỡ chữ: A- A A+", "Chia sẻ: Facebook Zalo In bài")
BOTTOM_LINES = ("Bản quyền thuộc về cơ quan chủ quản. Ghi rõ nguồn khi phát hành lại thông tin "
                "từ website này.", "Đường dây nóng: 0912 345 678 - Email: toasoan@example.vn",
                "Tin liên quan")
# Where the original credits itself at the start of the sapo.
CREDIT_PREFIXES = ("(Baohatinh.vn) - ", "(TN&MT) - ")
# Pairs of different stories on the same topic or in the same province.
SAME_TOPIC = (("ht_catthachha", "dt_cat"), ("ht_racthai", "hp_racthai"),
              ("ht_racthai", "bd_chatthairan"), ("hp_racthai", "bd_chatthairan"),
              ("qn_gcn", "nb_hoso"), ("qn_gcn", "bd_luatdatdai"), ("nb_hoso", "bd_luatdatdai"),
              ("cm_satlo", "dt_cat"))
PROVINCES = {"Hà Tĩnh": ("ht_racthai", "ht_catthachha", "ht_vinhdanh"),
             "Bình Dương": ("bd_2020", "bd_2019", "bd_hoinghi", "bd_kcn", "bd_luatdatdai",
                            "bd_chatthairan")}


def content_paragraphs(body: list[str]) -> list[str]:
    """Return the paragraphs that are text, not captions or sub-headings (short lines)."""
    return [paragraph for paragraph in body if len(paragraph) >= 120]


def uncredited(lead: str) -> str:
    for prefix in CREDIT_PREFIXES:
        lead = lead.removeprefix(prefix)
    return lead


def headline(base: Piece, edit: Edit) -> Piece:
    """Edited headline, the source's credit dropped from the sapo, a credit line added."""
    return {"title": edit["headline"], "lead": uncredited(base["lead"]),
            "body": [*base["body"], edit["credit"]]}


def sapo(base: Piece, edit: Edit) -> Piece:
    """A sapo of the re-publisher's own; the original sapo becomes the first paragraph."""
    body = [uncredited(base["lead"])] if base["lead"] else []
    return {"title": base["title"], "lead": edit["sapo"], "body": [*body, *base["body"]]}


def trimmed(base: Piece, edit: Edit) -> Piece:
    """The ending cut (the last third of the text paragraphs), photos and captions dropped."""
    body = content_paragraphs(base["body"])
    keep = max(2, len(body) - max(1, len(body) // 3))
    return {"title": base["title"], "lead": base["lead"], "body": body[:keep]}


def boilerplate(base: Piece, edit: Edit) -> Piece:
    """The re-publisher's page furniture kept around the text, the credit line at the end."""
    return with_furniture({"title": base["title"], "lead": uncredited(base["lead"]),
                           "body": [*content_paragraphs(base["body"]), edit["credit"]]},
                          related=edit["related"])


def reordered(base: Piece, edit: Edit) -> Piece:
    """One paragraph moved: the second text paragraph goes to the end."""
    body = list(base["body"])
    moving = content_paragraphs(body)[1]
    body.remove(moving)
    return {"title": edit["headline"], "lead": base["lead"], "body": [*body, moving]}


def reworded(base: Piece, edit: Edit) -> Piece:
    """Light rewording: a dozen usual substitutions, once per paragraph."""
    return {"title": edit["headline"], "lead": reword(base["lead"]),
            "body": [reword(paragraph) for paragraph in base["body"]]}


def combined(base: Piece, edit: Edit) -> Piece:
    """Everything at once: new headline and sapo, the ending cut, furniture, a credit."""
    cut = trimmed(sapo(base, edit), edit)
    return with_furniture({"title": edit["headline"], "lead": cut["lead"],
                           "body": [*cut["body"], edit["credit"]]}, related=edit["related"])


def reword(text: str) -> str:
    for old, new in REWORDING:
        text = text.replace(old, new, 1)
    return text


def with_furniture(piece: Piece, related: list[str]) -> Piece:
    return {**piece, "body": [*TOP_LINES, *piece["body"], *BOTTOM_LINES, *related]}


VARIANTS: dict[str, Callable[[Piece, Edit], Piece]] = {
    "headline": headline, "sapo": sapo, "trimmed": trimmed, "boilerplate": boilerplate,
    "reordered": reordered, "reworded": reworded}


def build(edits: dict[str, Any]) -> tuple[dict[str, Piece], list[dict[str, Any]]]:
    """Return the articles and the labelled pairs."""
    bases = {key: load_base(entry["file"]) for key, entry in edits["bases"].items()}
    titles = [piece["title"] for piece in bases.values()]
    articles: dict[str, Piece] = dict(bases)
    pairs: list[dict[str, Any]] = []
    names = list(VARIANTS)
    for number, (key, entry) in enumerate(edits["bases"].items()):
        edit = {**entry, "related": [t for t in titles if t != bases[key]["title"]][:3]}
        chosen = [names[(3 * number + k) % len(names)] for k in range(3)]
        for kind, make in [*((name, VARIANTS[name]) for name in chosen), ("combined", combined)]:
            articles[f"{key}~{kind}"] = make(bases[key], edit)
            pairs.append({"a": key, "b": f"{key}~{kind}", "same": True, "kind": kind})
    for key, entry in edits["followups"].items():
        articles[key] = {"title": entry["title"], "lead": entry["lead"], "body": entry["body"]}
        base = entry["base"]
        pairs.append({"a": base, "b": key, "same": False, "kind": "follow-up"})
        related = titles[:3]
        articles[f"{key}~boilerplate"] = with_furniture(articles[key], related)
        articles[f"{base}~furniture"] = with_furniture(bases[base], related)
        pairs.append({"a": f"{base}~furniture", "b": f"{key}~boilerplate", "same": False,
                      "kind": "follow-up, same site furniture"})
    for a, b in SAME_TOPIC:
        pairs.append({"a": a, "b": b, "same": False, "kind": "same topic"})
    for keys in PROVINCES.values():
        for a, b in combinations(keys, 2):
            pairs.append({"a": a, "b": b, "same": False, "kind": "same province"})
    return articles, pairs


def load_base(file: str) -> Piece:
    expected = json.loads((RESOURCES / file).read_text("utf-8"))
    return {"title": expected["title"], "lead": expected["lead"], "body": expected["body"]}


def write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
                    "utf-8")


def main(folder: Path) -> None:
    edits = tomllib.loads((folder / "edits.toml").read_text("utf-8"))
    articles, pairs = build(edits)
    write_lines(folder / "articles.jsonl",
                [{"id": key, **piece} for key, piece in articles.items()])
    write_lines(folder / "pairs.jsonl", pairs)
    positives = sum(pair["same"] for pair in pairs)
    print(f"{len(articles)} articles, {positives} re-published pairs, "
          f"{len(pairs) - positives} different-story pairs")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/build_neardup_set.py DIR")
    main(Path(sys.argv[1]))
