package main

import (
	"bufio"
	"context"
	"io"
	"slices"
	"sync/atomic"

	"github.com/ironcurtain-go/ironcurtain/approve"
)

// chatLine is one line the person typed, tagged with the question count
// when it was read: a line read before a question was shown never
// answers it.
type chatLine struct {
	text string
	gen  uint64
}

// chatInput reads the person's lines, from a terminal or a pipe.
type chatInput struct {
	lines chan chatLine
	gen   atomic.Uint64
}

// maxChatLine bounds one typed line.
const maxChatLine = 1 << 20

func newChatInput(r io.Reader) *chatInput {
	in := &chatInput{lines: make(chan chatLine)}
	go func() {
		defer close(in.lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxChatLine)
		for sc.Scan() {
			in.lines <- chatLine{text: sc.Text(), gen: in.gen.Load()}
		}
	}()
	return in
}

// newChatInputFrom takes the person's lines from src (messages received by
// Signal) until ctx is done; its lines never end before that.
func newChatInputFrom(ctx context.Context, src <-chan string) *chatInput {
	in := &chatInput{lines: make(chan chatLine)}
	go func() {
		for {
			select {
			case text := <-src:
				select {
				case in.lines <- chatLine{text: text, gen: in.gen.Load()}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return in
}

// next marks a question shown and returns its number: lines read from now
// on carry it.
func (in *chatInput) next() uint64 { return in.gen.Add(1) }

// chatPending is an escalation shown in the chat, with the question number
// a line must carry to answer it.
type chatPending struct {
	approve.Pending
	gen uint64
}

// chatAsked are the escalations shown and not answered, oldest first. It
// is used by the chat's goroutine only.
type chatAsked struct {
	list []chatPending
	// closed: the input ended, so nothing can be answered.
	closed bool
}

func (a *chatAsked) add(p approve.Pending, gen uint64) {
	a.list = append(a.list, chatPending{Pending: p, gen: gen})
}

func (a *chatAsked) has(id string) bool {
	return slices.ContainsFunc(a.list, func(p chatPending) bool { return p.ID == id })
}

func (a *chatAsked) drop(id string) bool {
	n := len(a.list)
	a.list = slices.DeleteFunc(a.list, func(p chatPending) bool { return p.ID == id })
	return len(a.list) < n
}

func (a *chatAsked) oldest() (chatPending, bool) {
	if len(a.list) == 0 {
		return chatPending{}, false
	}
	return a.list[0], true
}

func (a *chatAsked) all() []string {
	var ids []string
	for _, p := range a.list {
		ids = append(ids, p.ID)
	}
	return ids
}
