package router

import "errors"

// Sentinel errors. Handle and RoutePush wrap them with %w and context; the
// actor logs them and may close the offending face. None of them leaves the
// tables in an inconsistent state.
var (
	// ErrUnknownFace: a message names a face that is not open.
	ErrUnknownFace = errors.New("router: unknown face")
	// ErrFaceExists: OpenFace with an id already in use.
	ErrFaceExists = errors.New("router: face already open")
	// ErrUnknownScope: a WireExpr scope id that the relevant id table does
	// not hold (network.md §1.2).
	ErrUnknownScope = errors.New("router: unknown key-expression id")
	// ErrInvalidKey: the resolved key expression is not canonical.
	ErrInvalidKey = errors.New("router: invalid key expression")
	// ErrKeyExprRebind: DeclareKeyExpr of an id already bound to another
	// expression; the old binding is kept.
	ErrKeyExprRebind = errors.New("router: key-expression id already bound to another expression")
	// ErrEntityRebind: a declaration reuses a live entity id for another key.
	ErrEntityRebind = errors.New("router: entity id already declared with another key")
	// ErrUnknownEntity: an undeclaration of an entity id that is not declared.
	ErrUnknownEntity = errors.New("router: undeclaration of an unknown entity")
	// ErrTooManyDeclarations: the face exceeds Config.MaxDeclarationsPerFace.
	ErrTooManyDeclarations = errors.New("router: too many declarations on face")
	// ErrInterestInUse: a non-Final interest reuses a live interest id.
	ErrInterestInUse = errors.New("router: interest id already in use")
	// ErrTooManyQueries: Config.MaxPendingQueries reached; the query was
	// answered with ResponseFinal at once.
	ErrTooManyQueries = errors.New("router: too many pending queries")
	// ErrUnexpectedMessage: a message kind the tables do not handle.
	ErrUnexpectedMessage = errors.New("router: unexpected message")
	// ErrInvalidConfig: Config.validate refused the configuration.
	ErrInvalidConfig = errors.New("router: invalid config")
	// ErrUnknownNode is a NodeId naming no router of the sender's link state.
	ErrUnknownNode = errors.New("router: unknown mesh node")
)
