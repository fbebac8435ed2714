package signal

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseReply(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Reply
		bad  bool
	}{
		{in: "approve K7Q2M", want: Reply{Approve: true, Code: "K7Q2M"}},
		{in: "  Deny   k7q2m\n", want: Reply{Code: "K7Q2M"}},
		{in: "approve K7Q2M for 1h", want: Reply{Approve: true, Code: "K7Q2M", TTL: time.Hour}},
		{in: "approve for 30m", want: Reply{Approve: true, TTL: 30 * time.Minute}},
		{in: "approve", want: Reply{Approve: true}},
		{in: "deny K7Q2M for 1h", bad: true},
		{in: "approve K7Q2", bad: true},  // too short
		{in: "approve K7Q2I", bad: true}, // I is not in the alphabet
		{in: "approve K7Q2M please", bad: true},
		{in: "approve K7Q2M for 1d", bad: true},
		{in: "approve K7Q2M for 0h", bad: true},
		{in: "approve K7Q2M for -1h", bad: true},
		{in: "approve K7Q2M for 1h30m", bad: true},
		{in: "approve\u202eK7Q2M", bad: true},
		{in: "approve\u00a0K7Q2M", bad: true},
		{in: "ok", bad: true},
		{in: "", bad: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseReply(tt.in)
			if tt.bad {
				require.ErrorIs(t, err, ErrNotUnderstood)
				require.Zero(t, r)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, r)
		})
	}
}

func TestNewCodeParses(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c := newCode()
		r, err := ParseReply("approve " + c)
		require.NoError(t, err)
		require.Equal(t, c, r.Code)
		seen[c] = true
	}
	require.Greater(t, len(seen), 95)
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"approve K7Q2M", "deny k7q2m", "approve K7Q2M for 1h", "approve for 999h", "yes", "no ABCDE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReply(s)
		if err != nil {
			require.Zero(t, r)
			return
		}
		require.True(t, r.Code == "" || validCode(r.Code))
		require.True(t, r.TTL == 0 || (r.Approve && r.TTL > 0 && r.TTL <= 999*time.Hour))
	})
}
