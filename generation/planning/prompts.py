"""The image prompt (the brief's second prompt layer): description → slide image.

Image models get this text with the template's reference images; the local renderer
draws from the page plan instead, but the prompt is stored on every page either way so
that a person (or a later remote attempt) sees exactly what would be asked.
"""

from generation.slides import page_texts, px_per_pt

_ZH = """你是一位专业的演示文稿设计师。请根据下面的页面描述，生成一页完整的幻灯片图片。
演示文稿：{deck_title}
当前章节：{section}
页面描述：{description}
需要逐字呈现的文字（不得增删或改写）：
{texts}
风格：沿用参考图片（模板）的风格，{style}；配色 {palette}。{hints}
要求：严格 {aspect} 画幅，分辨率 {width}x{height}；标题位于顶部居中或左侧，正文在下方并留出足够留白；数据可视化清晰；
所有文字清晰可读、准确无误，标题约 {title_pt} 磅，正文约 {body_pt} 磅，中英文混排美观；不要边框，不要水印。"""

_EN = """You are a professional presentation designer. Render one complete slide image from the page description below.
Deck: {deck_title}
Current section: {section}
Page description: {description}
Text to render verbatim (nothing added, missing or reworded):
{texts}
Style: follow the reference image (the template): {style}; colour scheme {palette}. {hints}
Requirements: strictly {aspect} at {width}x{height}; title at the top, centred or left; content below with generous whitespace;
clear data visualisation; every character sharp, readable and spelled exactly, title about {title_pt} pt and body about
{body_pt} pt, mixed Chinese/English typeset well; no border, no watermark."""


def _aspect(width: int, height: int) -> str:
    ratios = {16 / 9: "16:9", 3 / 2: "3:2", 4 / 3: "4:3"}
    return ratios[min(ratios, key=lambda r: abs(r - width / height))]


def build_image_prompt(
    *, page: dict, description: str, deck_title: str, snapshot: dict, size: tuple[int, int]
) -> str:
    width, height = size
    scale = px_per_pt(width, height)
    template = _ZH if page.get("language") == "zh" else _EN
    return template.format(
        deck_title=deck_title,
        section=page.get("section") or page.get("title", ""),
        description=description,
        texts="\n".join(page_texts(page)),
        style=snapshot.get("style") or snapshot.get("name", ""),
        palette=", ".join(snapshot.get("palette", [])),
        hints=snapshot.get("prompt_hints", ""),
        aspect=_aspect(width, height),
        width=width,
        height=height,
        title_pt=max(24, round(56 / scale)),
        body_pt=max(18, round(32 / scale)),
    ).strip()
