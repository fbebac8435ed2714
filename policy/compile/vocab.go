package compile

import (
	"slices"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// kind is what a sentence's actions apply to, and so which server its rules
// name.
type kind uint8

const (
	kindNone      kind = iota
	kindFiles          // files and directories: the filesystem server
	kindRepos          // local repositories: the git server's path roles
	kindRemotes        // remotes: the git server's network tools
	kindWeb            // web pages: the fetch server's http_fetch
	kindWebSearch      // the web, searched: the fetch server's web_search
	kindTools          // tools named as server/tool, or a whole server
	kindIdiom          // a fixed phrase naming a group of built-in tools
	kindService        // a third-party server named by its product: "GitHub", "Gmail"
)

func (k kind) String() string {
	switch k {
	case kindFiles:
		return "files"
	case kindRepos:
		return "repositories"
	case kindRemotes:
		return "remotes"
	case kindWeb:
		return "web pages"
	case kindWebSearch:
		return "the web"
	case kindTools:
		return "tools"
	case kindIdiom:
		return "a built-in phrase"
	case kindService:
		return "a service"
	}
	return "nothing"
}

// The built-in servers the controlled English speaks of.
const (
	serverFilesystem = "filesystem"
	serverGit        = "git"
	serverFetch      = "fetch"
)

// verb is one action word. Its class names the rule ("read", "write",
// ...); its roles or tools depend on what it applies to.
type verb struct {
	base, gerund string
	class        string
	// files, repos: the path roles the action has on files and on
	// repositories; nil when it does not apply to them.
	files, repos []policy.Role
	// remote: the git tool it is on a remote; "" when none.
	remote string
	// web: it fetches web pages; search: it searches the web.
	web, search bool
	// use: it calls tools ("use", "call").
	use bool
	// force: a force push, a rule on git_push alone.
	force bool
}

var (
	rRead  = []policy.Role{policy.RoleReadPath}
	rWrite = []policy.Role{policy.RoleWritePath}
	rDel   = []policy.Role{policy.RoleDeletePath}
	rMove  = []policy.Role{policy.RoleWritePath, policy.RoleDeletePath}
	rEdit  = []policy.Role{policy.RoleReadPath, policy.RoleWritePath}
	rAll   = []policy.Role{policy.RoleReadPath, policy.RoleWritePath, policy.RoleDeletePath}
	// On a repository, changing it writes files and history; deleting
	// deletes files, branches, tags and stashes.
	rChange  = []policy.Role{policy.RoleWritePath, policy.RoleWriteHistory}
	rHistory = []policy.Role{policy.RoleWriteHistory}
	rRepoDel = []policy.Role{policy.RoleDeletePath, policy.RoleDeleteHistory}
)

// verbs is the action vocabulary. Each entry is reachable by its base form
// and its -ing form.
var verbs = []verb{
	{base: "read", gerund: "reading", class: "read", files: rRead, repos: rRead, web: true},
	{base: "list", gerund: "listing", class: "read", files: rRead, repos: rRead},
	{base: "search", gerund: "searching", class: "read", files: rRead, repos: rRead, search: true},
	{base: "inspect", gerund: "inspecting", class: "read", files: rRead, repos: rRead},
	{base: "view", gerund: "viewing", class: "read", files: rRead, repos: rRead},
	{base: "open", gerund: "opening", class: "read", files: rRead, repos: rRead, web: true},
	{base: "write", gerund: "writing", class: "write", files: rWrite, repos: rWrite},
	{base: "create", gerund: "creating", class: "write", files: rWrite, repos: rWrite},
	// Editing reads the file it changes (edit_file reads and writes).
	{base: "edit", gerund: "editing", class: "edit", files: rEdit, repos: rEdit},
	{base: "overwrite", gerund: "overwriting", class: "write", files: rWrite, repos: rWrite},
	{base: "save", gerund: "saving", class: "write", files: rWrite},
	{base: "change", gerund: "changing", class: "change", files: rWrite, repos: rChange},
	{base: "modify", gerund: "modifying", class: "change", files: rWrite, repos: rChange},
	{base: "update", gerund: "updating", class: "change", files: rWrite, repos: rChange},
	{base: "commit", gerund: "committing", class: "change", repos: rHistory},
	{base: "rewrite", gerund: "rewriting", class: "change", repos: rHistory},
	{base: "delete", gerund: "deleting", class: "delete", files: rDel, repos: rRepoDel},
	{base: "remove", gerund: "removing", class: "delete", files: rDel, repos: rRepoDel},
	{base: "move", gerund: "moving", class: "move", files: rMove, repos: rMove},
	{base: "rename", gerund: "renaming", class: "move", files: rMove, repos: rMove},
	{base: "clone", gerund: "cloning", class: "fetch", remote: "git_clone"},
	{base: "fetch", gerund: "fetching", class: "fetch", remote: "git_fetch", web: true},
	{base: "pull", gerund: "pulling", class: "fetch", remote: "git_pull"},
	{base: "push", gerund: "pushing", class: "push", remote: "git_push"},
	// A force push discards the remote's commits: git_push's path has
	// delete-history when force or forceWithLease is set.
	{base: "force-push", gerund: "force-pushing", class: "force-push", repos: []policy.Role{policy.RoleDeleteHistory}, force: true},
	{base: "download", gerund: "downloading", class: "fetch", web: true},
	{base: "visit", gerund: "visiting", class: "fetch", web: true},
	{base: "browse", gerund: "browsing", class: "fetch", web: true},
	{base: "access", gerund: "accessing", class: "access", files: rAll, repos: rAll},
	{base: "touch", gerund: "touching", class: "access", files: rAll, repos: rAll},
	{base: "use", gerund: "using", class: "use", use: true},
	{base: "call", gerund: "calling", class: "use", use: true},
}

// verbIndex maps a base or -ing form (one or two words) to its verb.
var verbIndex = func() map[string]*verb {
	m := map[string]*verb{}
	for i := range verbs {
		m[verbs[i].base] = &verbs[i]
		m[verbs[i].gerund] = &verbs[i]
		// The third person: "before it pushes".
		b := verbs[i].base
		third := b + "s"
		if strings.HasSuffix(b, "sh") || strings.HasSuffix(b, "ch") || strings.HasSuffix(b, "s") {
			third = b + "es"
		}
		if m[third] == nil {
			m[third] = &verbs[i]
		}
	}
	return m
}()

// noun is an object word and the kind of thing it names.
type noun struct {
	words []string
	kind  kind
	// plural is the noun's plural, used in rule names ("pages").
	plural string
	// tool, for a part of a repository (branches, tags), is the one git
	// tool that manages it, which the rules are narrowed to.
	tool string
}

// nouns, longest first so that "web pages" wins over "pages".
var nouns = []noun{
	{[]string{"remote", "git", "repositories"}, kindRemotes, "remotes", ""},
	{[]string{"remote", "repositories"}, kindRemotes, "remotes", ""},
	{[]string{"remote", "repository"}, kindRemotes, "remotes", ""},
	{[]string{"remote", "repos"}, kindRemotes, "remotes", ""},
	{[]string{"remote", "repo"}, kindRemotes, "remotes", ""},
	{[]string{"git", "history"}, kindRepos, "repositories", ""},
	{[]string{"commit", "history"}, kindRepos, "repositories", ""},
	{[]string{"history"}, kindRepos, "repositories", ""},
	{[]string{"changes"}, kindRepos, "repositories", ""},
	{[]string{"commits"}, kindRepos, "repositories", ""},
	{[]string{"git", "repositories"}, kindRepos, "repositories", ""},
	{[]string{"git", "repository"}, kindRepos, "repositories", ""},
	{[]string{"web", "pages"}, kindWeb, "pages", ""},
	{[]string{"web", "page"}, kindWeb, "pages", ""},
	{[]string{"web", "sites"}, kindWeb, "sites", ""},
	{[]string{"web", "site"}, kindWeb, "sites", ""},
	{[]string{"the", "web"}, kindWebSearch, "web", ""},
	{[]string{"source", "code"}, kindFiles, "files", ""},
	{[]string{"source", "files"}, kindFiles, "files", ""},
	{[]string{"code"}, kindFiles, "files", ""},
	{[]string{"documents"}, kindFiles, "files", ""},
	{[]string{"files"}, kindFiles, "files", ""},
	{[]string{"file"}, kindFiles, "files", ""},
	{[]string{"directories"}, kindFiles, "files", ""},
	{[]string{"directory"}, kindFiles, "files", ""},
	{[]string{"folders"}, kindFiles, "files", ""},
	{[]string{"folder"}, kindFiles, "files", ""},
	{[]string{"branches"}, kindRepos, "branches", "git_branch"},
	{[]string{"branch"}, kindRepos, "branches", "git_branch"},
	{[]string{"tags"}, kindRepos, "tags", "git_tag"},
	{[]string{"tag"}, kindRepos, "tags", "git_tag"},
	{[]string{"repositories"}, kindRepos, "repositories", ""},
	{[]string{"repository"}, kindRepos, "repositories", ""},
	{[]string{"repos"}, kindRepos, "repositories", ""},
	{[]string{"remotes"}, kindRemotes, "remotes", ""},
	{[]string{"remote"}, kindRemotes, "remotes", ""},
	{[]string{"pages"}, kindWeb, "pages", ""},
	{[]string{"page"}, kindWeb, "pages", ""},
	{[]string{"websites"}, kindWeb, "sites", ""},
	{[]string{"website"}, kindWeb, "sites", ""},
	{[]string{"sites"}, kindWeb, "sites", ""},
	{[]string{"site"}, kindWeb, "sites", ""},
	{[]string{"urls"}, kindWeb, "pages", ""},
	{[]string{"url"}, kindWeb, "pages", ""},
}

// modal is how an active sentence says its verdict.
type modal struct {
	words   []string
	verdict ironcurtain.Verdict
}

// modals, longest first: the ways people say may, must ask before and
// must not after the subject.
var modals = func() []modal {
	var out []modal
	add := func(v ironcurtain.Verdict, phrases ...string) {
		for _, p := range phrases {
			out = append(out, modal{strings.Fields(p), v})
		}
	}
	for _, pre := range []string{"must", "should", "must always", "should always", "will", "will always", "must first", "always", "needs to", "has to", "have to"} {
		for _, whom := range []string{"", "me", "permission", "approval", "the user", "for approval", "for permission", "me for permission",
			"me for approval", "the user for approval", "the user for permission", "first"} {
			add(ironcurtain.Escalate, strings.TrimSpace(pre+" ask "+whom)+" before")
		}
		add(ironcurtain.Escalate, pre+" get approval before", pre+" get permission before", pre+" get my approval before",
			pre+" get approval to", pre+" get permission to", pre+" get my approval to", pre+" get my permission before")
	}
	add(ironcurtain.Escalate, "needs approval before", "needs approval to", "needs permission to", "needs permission before",
		"needs my approval to", "needs my approval before", "needs the user's approval to", "needs the user's approval before",
		"need approval to", "need approval before", "need permission to", "need my approval to", "requires approval to", "requires approval before")
	add(ironcurtain.Deny, "may never", "must never", "must not", "may not", "can never", "cannot", "can't", "can not", "mustn't",
		"should never", "should not", "shouldn't", "will never", "must not ever", "may not ever",
		"is not allowed to", "are not allowed to", "is never allowed to", "are never allowed to", "is not permitted to",
		"are not permitted to", "is forbidden to", "are forbidden to", "is forbidden from", "are forbidden from", "is prohibited from",
		"are prohibited from")
	add(ironcurtain.Allow, "is allowed to", "is free to", "are allowed to", "are free to", "is permitted to", "are permitted to",
		"has permission to", "have permission to", "may", "can")
	slices.SortStableFunc(out, func(a, b modal) int { return len(b.words) - len(a.words) })
	return out
}()

// imperatives open a sentence without a subject: "Never delete ...",
// "Always ask before ...", longest first.
var imperatives = func() []modal {
	var out []modal
	for _, whom := range []string{"", "me", "permission", "the user", "for approval", "for permission", "me for permission", "me for approval", "first"} {
		out = append(out, modal{strings.Fields(strings.TrimSpace("always ask "+whom) + " before"), ironcurtain.Escalate},
			modal{strings.Fields(strings.TrimSpace("ask "+whom) + " before"), ironcurtain.Escalate})
	}
	for _, p := range []string{"never", "do not", "don't", "dont", "do not ever", "don't ever", "you must never", "you must not"} {
		out = append(out, modal{strings.Fields(p), ironcurtain.Deny})
	}
	slices.SortStableFunc(out, func(a, b modal) int { return len(b.words) - len(a.words) })
	return out
}()

// verdictPhrases end a passive sentence ("Pushing to any remote requires
// approval."), longest first.
var verdictPhrases = func() []modal {
	var out []modal
	for _, be := range []string{"is", "are"} {
		for _, w := range []string{"never allowed", "not allowed", "forbidden", "prohibited", "not permitted", "off-limits", "off limits"} {
			out = append(out, modal{strings.Fields(be + " " + w), ironcurtain.Deny})
		}
		for _, w := range []string{"allowed", "permitted", "fine", "ok", "okay", "allowed without approval", "fine without approval"} {
			out = append(out, modal{strings.Fields(be + " " + w), ironcurtain.Allow})
		}
		out = append(out, modal{strings.Fields(be + " allowed with approval"), ironcurtain.Escalate},
			modal{strings.Fields(be + " allowed only with approval"), ironcurtain.Escalate})
	}
	for _, v := range []string{"requires", "needs", "require", "need"} {
		for _, w := range []string{"approval", "the user's approval", "my approval", "permission", "my permission", "confirmation"} {
			out = append(out, modal{strings.Fields(v + " " + w), ironcurtain.Escalate})
		}
	}
	slices.SortStableFunc(out, func(a, b modal) int { return len(b.words) - len(a.words) })
	return out
}()

// idiom is a fixed phrase for a group of built-in tools.
type idiom struct {
	base, gerund string
	server       string
	tools        []string
	name         string // the rule name after the verdict
}

var idioms = []idiom{
	{"list its allowed directories", "listing its allowed directories", serverFilesystem, []string{"list_allowed_directories"}, "list-allowed-directories"},
	{"manage its git session", "managing its git session", serverGit, []string{"git_clear_working_dir", "git_wrapup_instructions"}, "git-session"},
}

// particles may stand between a verb and its object: "deleting in
// repositories", "pushing to any remote".
var particles = map[string]bool{"in": true, "from": true, "to": true, "into": true, "on": true, "at": true}

// pathPrepositions introduce directories: all of them mean the directory
// and everything below it.
var pathPrepositions = map[string]bool{"in": true, "under": true, "within": true, "inside": true}

// targetPrepositions introduce domains, lists and "any remote".
var targetPrepositions = map[string]bool{"from": true, "to": true, "on": true, "at": true}
