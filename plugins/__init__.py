"""The five built-in management modes, each a pluggy plugin loaded like any third party's."""
