def f(data):
    return build_encounters__item(data, None, 0, ("x",), [])
