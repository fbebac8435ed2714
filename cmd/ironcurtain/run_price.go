package main

import (
	"errors"

	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
)

// listPrices are providers' list prices, in US dollars per million tokens
// (input, output), for their own APIs, at the time of writing. Prices
// change: --price-in and --price-out override them, and a model not here
// has an unknown cost.
var listPrices = map[string]agent.Price{
	"anthropic:claude-opus-4-1":   {InputPerMTok: 15, OutputPerMTok: 75},
	"anthropic:claude-opus-4-5":   {InputPerMTok: 5, OutputPerMTok: 25},
	"anthropic:claude-sonnet-4-5": {InputPerMTok: 3, OutputPerMTok: 15},
	"anthropic:claude-sonnet-4-0": {InputPerMTok: 3, OutputPerMTok: 15},
	"anthropic:claude-haiku-4-5":  {InputPerMTok: 1, OutputPerMTok: 5},
	"openai:gpt-5":                {InputPerMTok: 1.25, OutputPerMTok: 10},
	"openai:gpt-5-mini":           {InputPerMTok: 0.25, OutputPerMTok: 2},
	"openai:gpt-5-nano":           {InputPerMTok: 0.05, OutputPerMTok: 0.40},
	"openai:gpt-4.1":              {InputPerMTok: 2, OutputPerMTok: 8},
	"openai:gpt-4.1-mini":         {InputPerMTok: 0.40, OutputPerMTok: 1.60},
	"openai:gpt-4o":               {InputPerMTok: 2.50, OutputPerMTok: 10},
	"openai:gpt-4o-mini":          {InputPerMTok: 0.15, OutputPerMTok: 0.60},
	"google:gemini-2.5-pro":       {InputPerMTok: 1.25, OutputPerMTok: 10},
	"google:gemini-2.5-flash":     {InputPerMTok: 0.30, OutputPerMTok: 2.50},
}

// runPrice is the price the run counts cost at: the flags', or the list
// price of a provider's own API; nil (unknown) for a model not listed or a
// server given by --base-url, whose prices are its own.
func runPrice(spec string, f modelFlags) (*agent.Price, error) {
	switch {
	case f.priceIn >= 0 && f.priceOut >= 0:
		return &agent.Price{InputPerMTok: f.priceIn, OutputPerMTok: f.priceOut}, nil
	case f.priceIn >= 0 || f.priceOut >= 0:
		return nil, errors.New("give both --price-in and --price-out")
	case f.baseURL != "":
		return nil, nil
	}
	provider, model, err := models.Parse(spec)
	if err != nil {
		return nil, err
	}
	if p, ok := listPrices[provider+":"+model]; ok {
		return &p, nil
	}
	return nil, nil
}
