"""The app's side of the engine facade: each controller runs engine calls in workers and reports by signals."""
