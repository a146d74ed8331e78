"""`lectern bench`: measured figures for ingest, search, the language model, memory and retrieval quality.

Each section is a module whose function returns a plain dict of measured figures (`ingest`, `search`, `llm`,
`memory`, `retrieval`, plus `machine`); `suite.run_bench` runs the chosen ones and `report` writes them as Markdown
and JSON. Nothing here is imported by `import engine`: heavy parts load inside the functions.
"""
