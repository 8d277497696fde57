"""`python -m crawler` is `tnmt`."""

from crawler.cli import main

main()
