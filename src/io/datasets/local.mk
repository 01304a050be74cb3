# src/io/datasets: dataset file formats and converters (datasets issue).
