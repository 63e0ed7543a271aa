package router

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// OpenLocal attaches an in-process session of this node's API to the
// router, which answers with *LocalOpened. The router sends the face's
// traffic to PID as *session.Send (a local session calls Done, if set,
// once it no longer uses the messages) and watches PID: the face closes
// when PID stops, or on CloseLocal.
type OpenLocal struct {
	PID *actor.PID
	ZID codec.ZenohID
}

// LocalOpened answers OpenLocal with the face's id.
type LocalOpened struct {
	Face FaceID
}

// LocalSend carries network messages an in-process session sends: they
// are routed like those of a remote session. The router may alias their
// byte slices in what it forwards, and may set a Put's timestamp in
// place; Done (if set) is called once nothing uses them any more.
type LocalSend struct {
	Face     FaceID
	Msgs     []codec.NetworkMessage
	Reliable bool
	Done     func()
}

// CloseLocal detaches an in-process session: everything it declared is
// withdrawn. Sent as a request, it is answered with LocalClosed once
// everything the session sent before has been routed (handed to the
// sessions it goes to).
type CloseLocal struct {
	Face FaceID
}

// LocalClosed answers CloseLocal.
type LocalClosed struct {
	Face FaceID
}

// AwaitUpstream asks the router to answer UpstreamReady once every
// router this node is a client of (or a peer attached to) has sent the
// entities behind it, and there are at least Min such routers: from then
// on, publications and queries go wherever they match.
type AwaitUpstream struct {
	Min int
}

// UpstreamReady answers AwaitUpstream.
type UpstreamReady struct{}
