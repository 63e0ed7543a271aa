package router

// AwaitUpstream asks the router to answer UpstreamReady once every
// router this node is a client of (or a peer attached to) has sent the
// entities behind it, and there are at least Min such routers: from then
// on, publications and queries go wherever they match.
type AwaitUpstream struct {
	Min int
}

// UpstreamReady answers AwaitUpstream.
type UpstreamReady struct{}
