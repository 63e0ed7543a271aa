// Package keyexpr implements Zenoh key expressions (network.md §8): their
// validation and canonization, the intersection and inclusion relations
// between them, and Tree, a matching index for routers and storages.
//
// The package is pure: no goroutines, no I/O, no global state. Functions
// that take strings expect canonical expressions where they say so;
// KeyExpr carries that guarantee in its type.
//
// # Grammar
//
// A key expression is a non-empty UTF-8 string of chunks separated by
// `/`. No chunk is empty, and `#` and `?` appear nowhere. Three wildcards
// exist:
//
//   - the chunk `*` matches exactly one chunk;
//   - the chunk `**` matches zero or more chunks;
//   - `$*` inside a chunk matches any run of characters (possibly empty)
//     within that chunk, as in `ab$*`, `$*cd` or `a$*b$*c`.
//
// `*` appears only as the chunks `*` and `**` or as part of `$*`, and `$`
// only as part of `$*`. On the wire expressions must be in canonical
// form, which also forbids a chunk that is just `$*` (write `*`), `$*$*`
// (write `$*`), `**/**` (write `**`) and `**/*` (write `*/**`). Validate
// checks all this and names the rule broken with the same error kinds as
// zenoh (ErrLoneDollarStar … ErrUnboundDollar); Canonize rewrites the
// non-canonical wildcard forms first, for API users.
//
// # Verbatim chunks
//
// A chunk starting with `@`, such as `@` or `@adv`, is verbatim: only an
// identical chunk matches it. `*`, `$*` and `**` never match a verbatim
// chunk, though `**` may match zero chunks next to one, so `**/@a`
// includes `@a`. This is what keeps the admin space `@/…` out of reach of
// ordinary subscriptions such as `**`. Wildcards written inside a
// verbatim chunk (`@a$*`) are literal characters there.
//
// # Intersection and inclusion
//
// Two expressions intersect when at least one concrete key (an expression
// with no wildcard) matches both; a includes b when every key matching b
// matches a. Intersects and Includes give exactly the answers of zenoh's
// reference algorithms (ClassicIntersector and LTRIncluder), including
// the structural rule that only a `**` includes a `**`. They walk the two
// strings in place, without splitting or allocating: a typical pair takes
// some tens of nanoseconds. Where zenoh backtracks, they use a greedy glob
// match, or, when both sides hold `**`, compare only the chunks before
// the first and after the last `**` (and likewise for `$*` within a
// chunk), so no input makes their cost grow faster than the product of
// the two lengths.
//
// # Tree
//
// Tree[V] stores one value per distinct expression in a trie over chunks.
// Each node keeps its literal children in a map and its `*`, `**` and
// `$*`-holding children apart, so a lookup by a concrete key costs a map
// access per chunk plus the wildcard branches that actually exist (the
// `$*` children of a node on the way are scanned: they are expected to be
// rare). With 10,000 stored expressions, a concrete key is matched in
// about half a microsecond, without allocating. Intersecting visits every
// stored expression intersecting a key or expression; Including every
// stored expression including one. A query ending in `/**` walks the
// subtrees below the nodes matching its prefix. A query holding `**`
// elsewhere runs a search over (node, chunk) pairs that remembers where
// it has been, so its cost is bounded by the product of the tree's size
// and the query's depth, and in practice by the part of the tree the
// query's wildcards reach.
package keyexpr
