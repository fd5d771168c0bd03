"""`manage.py generate_deck`: the whole pipeline from a file, and clear errors on bad input."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image
from pptx import Presentation

from generation.models import Batch, StepRun
from tests.factories import EN_OUTLINE, SlideTemplateFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_deck", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="plain")


def test_a_chinese_outline_becomes_a_deck_with_notes_images_and_pdf(template, tmp_path):
    out = generate(
        str(SAMPLES / "ai-classroom-zh.md"),
        "--template=plain",
        f"--out={tmp_path / 'deck.pptx'}",
        f"--pdf={tmp_path / 'deck.pdf'}",
        f"--images={tmp_path / 'png'}",
    )

    batch = Batch.objects.get()
    pages = list(batch.pages.order_by("index"))
    assert batch.status == "completed"
    assert [page.kind for page in pages[:3]] == ["cover", "contents", "transition"]
    deck = Presentation(tmp_path / "deck.pptx")
    assert len(deck.slides) == len(pages)
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert notes == [page.description for page in pages]
    assert all(re.search(r"[\u4e00-\u9fff]", note) for note in notes)
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == len(pages)
    assert {Image.open(png).size for png in pngs} == {(1536, 864)}
    assert (tmp_path / "deck.pdf").read_bytes().count(b"/Type /Page\n") == len(pages)
    assert len(out.strip().splitlines()) >= len(pages)
    assert f"  {pages[0].kind:<10}  {pages[0].title}" in out


def test_an_english_outline_at_4_3_writes_an_editable_deck_with_native_text(template, tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text(EN_OUTLINE, encoding="utf-8")

    generate(
        str(outline),
        "--template=plain",
        "--size=1024x768",
        f"--out={tmp_path / 'deck.pptx'}",
        f"--editable={tmp_path / 'editable.pptx'}",
        f"--zip={tmp_path / 'deck.zip'}",
        f"--images={tmp_path / 'png'}",
    )

    batch = Batch.objects.get()
    assert {Image.open(png).size for png in (tmp_path / "png").glob("*.png")} == {(1024, 768)}
    editable = Presentation(tmp_path / "editable.pptx")
    assert len(editable.slides) == batch.pages.count()
    for slide, page in zip(editable.slides, batch.pages.order_by("index"), strict=True):
        frames = [shape.text_frame for shape in slide.shapes if shape.has_text_frame]
        assert all(frame.word_wrap is False for frame in frames)  # the renderer's lines, no reflow
        texts = [frame.text.replace("\v", "").replace(" ", "") for frame in frames]
        assert page.plan["title"].replace(" ", "") in texts
    assert editable.slide_width / editable.slide_height == pytest.approx(4 / 3, rel=0.01)
    with zipfile.ZipFile(tmp_path / "deck.zip") as archive:
        names = archive.namelist()
        assert names == [f"slide-{n:02d}.png" for n in range(1, batch.pages.count() + 1)]
        assert Image.open(io.BytesIO(archive.read(names[0]))).size == (1024, 768)


def test_every_page_records_its_attempts_and_scores(template, tmp_path):
    generate(str(SAMPLES / "remote-work-en.md"), "--template=plain", f"--out={tmp_path / 'd.pptx'}")

    batch = Batch.objects.get()
    for page in batch.pages.all():
        steps = set(StepRun.objects.filter(page=page, selected=True).values_list("step", flat=True))
        assert steps == {"describe", "render", "finish"}
        render = StepRun.objects.get(page=page, step="render", selected=True)
        assert 0 <= render.score <= 10
        assert render.output_image
        assert page.thumbnail
        assert Image.open(page.thumbnail).size == (300, 169)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: [str(d / "missing.md")], "outline file not found"),
        (lambda d: [str(d / "empty.md")], "the outline is empty"),
        (
            lambda d: [str(d / "ok.md"), "--template=nope"],
            "unknown template 'nope' (available: plain)",
        ),
        (lambda d: [str(d / "ok.md"), "--size=800x600"], "size 800x600 is not supported"),
        (lambda d: [str(d / "ok.md"), "--size=big"], "size must look like 1536x864"),
        (lambda d: [str(d / "brief.md")], "needs an outline or a text model"),
        (lambda d: [str(d / "latin1.md")], "not UTF-8"),
        (lambda d: [str(d / "ok.md"), "--provider=dall-e"], "unknown provider 'dall-e'"),
    ],
)
def test_bad_input_exits_with_a_one_line_reason(template, tmp_path, make_args, message):
    (tmp_path / "empty.md").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "ok.md").write_text(EN_OUTLINE, encoding="utf-8")
    (tmp_path / "brief.md").write_text("做一个关于人工智能的演示", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9\n## A\n### B\n- c".encode("latin-1"))
    args = [*make_args(tmp_path), "--template=plain", f"--out={tmp_path / 'deck.pptx'}"]
    if any(arg.startswith("--template=nope") for arg in args):
        args.remove("--template=plain")

    with pytest.raises(CommandError, match=re.escape(message)) as info:
        generate(*args)

    assert "\n" not in str(info.value)
    assert not (tmp_path / "deck.pptx").exists()


@pytest.mark.parametrize(
    ("option", "make_target", "message"),
    [
        ("--out", lambda d: d / "a-file" / "deck.pptx", "cannot write --out"),
        ("--out", lambda d: d / "a-folder", "cannot write --out"),
        ("--pdf", lambda d: Path("/proc/deck.pdf"), "cannot write --pdf"),
        ("--zip", lambda d: d / "a-file" / "sub" / "deck.zip", "cannot write --zip"),
        ("--editable", lambda d: d / "a-folder", "cannot write --editable"),
        ("--images", lambda d: d / "a-file", "cannot write --images"),
    ],
)
def test_an_unwritable_output_is_refused_before_anything_is_generated(
    template, tmp_path, option, make_target, message
):
    (tmp_path / "ok.md").write_text(EN_OUTLINE, encoding="utf-8")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "a-folder").mkdir()
    target = make_target(tmp_path)
    args = [str(tmp_path / "ok.md"), "--template=plain", f"{option}={target}"]
    if option != "--out":
        args.append(f"--out={tmp_path / 'deck.pptx'}")

    with pytest.raises(CommandError, match=re.escape(f"{message}: {target}")) as info:
        generate(*args)

    assert "\n" not in str(info.value)
    assert not Batch.objects.exists()
    assert not (tmp_path / "deck.pptx").exists()
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "not a folder"


def test_language_and_no_ending_shape_the_deck(template, tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text("# 季度回顾\n\n## 业绩\n### 收入\n- 增长\n\n## 下一步\n### 计划\n- 扩大\n")

    generate(str(outline), "--template=plain", "--language=en", "--no-ending", "--async")

    batch = Batch.objects.get()
    assert batch.options["language"] == "en"
    assert batch.options["ending"] is False


def test_an_unknown_language_is_refused_by_name(template, tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text("# Deck\n\n### Page\n- point\n")

    with pytest.raises(CommandError, match="language must be one of auto, zh, en"):
        generate(str(outline), "--template=plain", "--language=fr", "--async")

    assert not Batch.objects.exists()
