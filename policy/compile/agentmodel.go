package compile

import (
	"context"
	"errors"
	"fmt"

	"github.com/ironcurtain-go/ironcurtain/agent"
)

// FromAgent adapts a model of package agent — any provider: agent/anthropic,
// agent/openai (and OpenAI-compatible local servers), or agent/models.Open —
// to the compiler. Requests go out at temperature 0; an answer cut short by
// the token limit, or refused, is an error. The model must name itself
// (a Name() string method, as the providers' models do), because the name is
// part of every cache key and of the policy's provenance.
func FromAgent(m agent.Model) (Model, error) {
	named, ok := m.(interface{ Name() string })
	if !ok || named.Name() == "" {
		return nil, errors.New("compile: the model does not name itself (no Name method)")
	}
	return agentModel{m: m, name: named.Name()}, nil
}

type agentModel struct {
	m    agent.Model
	name string
}

func (a agentModel) Name() string { return a.name }

func (a agentModel) Complete(ctx context.Context, req Request) (Response, error) {
	zero := 0.0
	ar := agent.Request{System: req.System, MaxTokens: req.MaxTokens, Temperature: &zero}
	for _, msg := range req.Messages {
		switch msg.Role {
		case "user":
			ar.Messages = append(ar.Messages, agent.Message{Role: agent.User, Text: msg.Text})
		case "assistant":
			ar.Messages = append(ar.Messages, agent.Message{Role: agent.Assistant, Text: msg.Text})
		default:
			return Response{}, fmt.Errorf("compile: unknown message role %q", msg.Role)
		}
	}
	resp, err := a.m.Complete(ctx, ar)
	if err != nil {
		return Response{}, err
	}
	switch resp.Finish {
	case agent.FinishLength:
		return Response{}, fmt.Errorf("%s: the answer was cut off by the token limit", a.name)
	case agent.FinishRefusal:
		return Response{}, fmt.Errorf("%s: the model refused to answer", a.name)
	}
	return Response{Text: resp.Text}, nil
}
