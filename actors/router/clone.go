package router

import (
	"slices"

	"github.com/gozenoh/zenoh/codec"
)

// The clone functions deep-copy the byte slices of decoded messages, which
// alias the decoder's buffer, so that Out messages own their bytes.

func cloneExts(es []codec.Extension) []codec.Extension {
	if es == nil {
		return nil
	}
	c := slices.Clone(es)
	for i := range c {
		c[i].Body = slices.Clone(c[i].Body)
	}
	return c
}

func cloneEncoding(e codec.Encoding) codec.Encoding {
	e.Schema = slices.Clone(e.Schema)
	return e
}

func cloneData(d codec.Data) codec.Data {
	d.Encoding = cloneEncoding(d.Encoding)
	d.Attachment = slices.Clone(d.Attachment)
	d.Payload = slices.Clone(d.Payload)
	d.Exts = cloneExts(d.Exts)
	return d
}

func cloneRequest(r *codec.Request) codec.Request {
	c := *r
	c.WireExpr.Suffix = slices.Clone(c.WireExpr.Suffix)
	c.Query.Parameters = slices.Clone(c.Query.Parameters)
	c.Query.BodyEncoding = cloneEncoding(c.Query.BodyEncoding)
	c.Query.BodyPayload = slices.Clone(c.Query.BodyPayload)
	c.Query.Attachment = slices.Clone(c.Query.Attachment)
	c.Query.Exts = cloneExts(c.Query.Exts)
	c.Exts = cloneExts(c.Exts)
	return c
}

func cloneResponse(r *codec.Response) codec.Response {
	c := *r
	c.WireExpr.Suffix = slices.Clone(c.WireExpr.Suffix)
	c.Reply.Body = cloneData(c.Reply.Body)
	c.Reply.Exts = cloneExts(c.Reply.Exts)
	c.Err.Encoding = cloneEncoding(c.Err.Encoding)
	c.Err.Payload = slices.Clone(c.Err.Payload)
	c.Err.Exts = cloneExts(c.Err.Exts)
	c.Exts = cloneExts(c.Exts)
	return c
}
