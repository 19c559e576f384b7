def analyze(*a, **k): raise NotImplementedError
