"""Development tools that stay in the repository: none of this is installed."""
