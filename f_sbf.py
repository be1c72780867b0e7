def f(data):
    return sort_by_field("sort_by", data["diagnoses"], read_sequence, sort_key, None)
