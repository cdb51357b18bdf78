"""The digest: rendering the open nudges (text, Markdown, HTML, JSON) and the daily email."""
