"""The demo city: a synthetic, labelled Marseille — logs, cameras, assets — on real streets, with truth."""
