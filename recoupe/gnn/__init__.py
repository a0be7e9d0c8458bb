"""Risk forecasting with PyTorch Geometric: datasets from the graph, models, baselines, backtests."""
