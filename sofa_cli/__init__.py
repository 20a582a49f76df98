"""sofa: question answering over a folder of news articles and interview transcripts."""

__version__ = "0.1.0"
