"""The Eurostat extract readers: TSV, SDMX-CSV, SDMX-ML and JSON-stat files parsed in DuckDB into the long
observation schema (`observations`), the format sniffed and dispatched (`extracts`), and a parsed extract
held against what the registry declares (`conformance`). No Prefect, no network."""
