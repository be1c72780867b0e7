def f(data):
    return func_to_utc("2024-03-27T09:30:00Z")
