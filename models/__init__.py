"""The models cinesearch uses, reached by role (`clip_encoder`, not `clip`: that name is the
submodule cinesearch.models.clip). Each accessor owns its registry key and its one
instance per process (loaded on first use, thread-safe); when a model's weights cannot be had it
says so once, with how to supply them, and returns None, so the part that needs it is skipped and
never faked. `registry` resolves names to weights; the other modules wrap one model each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cinesearch.models.registry import optional

if TYPE_CHECKING:
    import numpy as np

    from cinesearch.models.clip import ClipEncoder
    from cinesearch.models.faces import FaceAnalyzer
    from cinesearch.models.ocr import TextReader
    from cinesearch.models.speech import Transcriber
    from cinesearch.models.text_embed import AnyEmbedder
    from cinesearch.models.vision import ImageClassifier, ObjectDetector
    from cinesearch.models.wordnet import WordNet
    from cinesearch.models.words import WordSegmenter


def text_embedder() -> AnyEmbedder | None:
    """all-MiniLM-L6-v2 sentence vectors (384-d), shared by indexing and search."""
    from cinesearch.models.text_embed import load_text_embedder

    return optional("minilm", load_text_embedder)


def clip_encoder() -> ClipEncoder | None:
    """The configured CLIP model (None when CLIP is off: no weights ship offline)."""
    from cinesearch.models.clip import clip_identity, load_clip

    identity = clip_identity()
    if identity is None:
        optional("clip:off", load_clip)   # says once how to turn CLIP on
        return None
    return optional(f"clip:{identity}", load_clip)


def classifier() -> ImageClassifier | None:
    """EfficientNet-Lite3: ImageNet labels and the 1280-d appearance feature."""
    from cinesearch.models.vision import load_classifier

    return optional("efficientnet-lite3", load_classifier)


def class_space() -> tuple[list[str], np.ndarray] | None:
    """The classifier's ImageNet class names with their MiniLM vectors (concept-bank scoring);
    None, silently, where the classifier's files or the text embedder cannot be had (the indexer
    said so already, and without them no shot has a bank)."""
    from cinesearch.models.vision import load_class_space

    embed = text_embedder()
    if embed is None:
        return None
    return optional("imagenet-classes", lambda: load_class_space(embed, embed.name), quiet=True)


def class_space_names() -> list[str] | None:
    """The class names alone (an injected text encoder embeds them itself); None, silently, where
    the classifier's labels file cannot be had."""
    from cinesearch.models.vision import load_class_names

    return optional("imagenet-class-names", load_class_names, quiet=True)


def detector() -> ObjectDetector | None:
    """SSD MobileNet v2 COCO objects (people, vehicles, animals, ...)."""
    from cinesearch.models.vision import load_detector

    return optional("ssd-mobilenet-coco", load_detector)


def ocr_reader() -> TextReader | None:
    """RapidOCR: on-screen text with boxes."""
    from cinesearch.models.ocr import load_reader

    return optional("rapidocr", load_reader)


def face_analyzer(cnn: bool = False) -> FaceAnalyzer | None:
    """dlib face detection (HOG, or the CNN detector), landmarks and 128-d embeddings."""
    from cinesearch.models.faces import load_face_analyzer

    return optional(f"dlib-faces{':cnn' if cnn else ''}", lambda: load_face_analyzer(cnn))


def transcriber(name: str, beam_size: int) -> Transcriber | None:
    """faster-whisper with a packaged CTranslate2 model (`whisper-tiny.en` or `whisper-base`)."""
    from cinesearch.models.speech import load_transcriber

    return optional(name, lambda: load_transcriber(name, beam_size))


def wordnet_nouns() -> WordNet | None:
    """WordNet nouns: widens image labels with synonyms and broader words. (Not `wordnet`: that
    name is the submodule, and importing it would overwrite a function of that name.)"""
    from cinesearch.models.wordnet import load_wordnet

    return optional("wordnet", load_wordnet)


def segmenter() -> WordSegmenter | None:
    """wordsegment's English counts: puts back the spaces OCR drops."""
    from cinesearch.models.words import load_segmenter

    return optional("wordsegment", load_segmenter)
