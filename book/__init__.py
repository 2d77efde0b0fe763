"""The book pipeline: Markdown chapters to HTML, PDF and EPUB.

Data flows one way: load (book.toml + chapters) -> check examples -> convert
(pandoc) -> check links -> render targets. See `book.build.build`.
"""

__version__ = "0.1.0"
