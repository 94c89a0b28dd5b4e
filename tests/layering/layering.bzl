"""Query expressions for tests/layering/BUILD."""

def union(roots):
    """The query union of `roots` ("//a:b + //c:d")."""
    return " + ".join(roots)

def violations_query(roots, layer, allowed):
    """Every main-repository label reached from `layer`'s targets (those in the closure of
    `roots` under the top-level folder `layer`) outside the folders of `allowed`, a regex
    alternation such as "mef|common|proto"."""
    return ("let s = {s} in let l = filter('^//{layer}[/:]', deps($s)) in " +
            "filter('^//', deps($l)) except filter('^//({allowed})[/:]', deps($l))").format(
        s = union(roots),
        layer = layer,
        allowed = allowed,
    )
