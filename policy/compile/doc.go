// Package compile compiles a constitution — what an agent may do, in plain
// English — into the artifacts the [policy] engine loads: the compiled
// rules (compiled-policy.json), the values of the dynamic lists they use
// (dynamic-lists.json) and test scenarios (test-scenarios.json).
//
// Sentences of a small controlled English, described below, compile
// deterministically, offline, in milliseconds: the default constitution
// (policy/defaults/constitution.md) is compiled this way, and the embedded
// default policy is this package's output for it. Sentences outside the
// subset go to a language [Model] when one is configured — see the
// anthropic subpackage — and are otherwise errors with their line numbers.
//
//	src, _ := os.ReadFile("constitution.md")
//	res, err := compile.Compile(ctx, src, compile.Options{})
//	if err != nil {
//		// *CompileError: res.Diagnostics and res.Report say why.
//	}
//	err = compile.WriteArtifacts("policy-dir", res)
//
// Every compilation replays its scenarios on the real engine before it
// returns, and the engine's verdict is final: a rule the model wrote that
// the engine decides otherwise than its scenario expects is repaired by the
// model in small patches, a bounded number of times, and a server whose
// rules still fail fails the whole compilation ([CompileError]) — it is
// never silently dropped. No model may overrule the engine.
//
// # The document
//
// A constitution is Markdown. Every list item ("- ", "* ", "+ ", "1. ") is
// one sentence; lines indented under an item continue it. Everything else
// — headings, paragraphs, quotes, code blocks, HTML comments — is
// commentary and is not enforced. A paragraph line that begins like a
// permission ("The agent may ...") is an error, so that a rule is never
// ignored because it was not written as a list item.
//
// # Sentences
//
// A sentence is a permission in the active or the passive voice, or the
// definition of a list; keywords are matched without regard to case, and
// the final period is optional:
//
//	sentence   = active | passive | definition ; [ "{#" rule-name "}" ]
//	active     = "The agent" modal action
//	passive    = action verdict                 ("Pushing to any remote requires approval.")
//	definition = "@"name ("are" | "is") description
//
//	modal      = "may" | "can"                                    → allow
//	           | "must ask before" | "must ask for approval before"
//	           | "needs approval to" | "needs approval before"     → escalate
//	           | "may never" | "must never" | "must not" | "may not"
//	           | "cannot" | "can never"                           → deny
//	verdict    = "is allowed" | "is permitted"                    → allow
//	           | "requires approval" | "needs approval"
//	           | "requires the user's approval" | "needs the user's approval" → escalate
//	           | "is forbidden" | "is prohibited" | "is not allowed" | "is never allowed" → deny
//
//	action     = idiom | verbs [particle] [objects] [place]
//	verbs      = verb { "," verb } [","] ("and" | "or") verb   (base or -ing form)
//	particle   = "in" | "from" | "to" | "into" | "on" | "at"  (before an object:
//	             "deleting from repositories", "pushing to any remote")
//	objects    = object { "," object } [","] ("and" | "or") object
//	object     = ["any" ["other"] ["public"] | "all" | "its"] noun
//	           | server "/" tool | "the" server "server"
//	place      = ("in" | "under" | "within" | "inside") path { "," path } ("and"|"or") path
//	           | "outside the sandbox" | "anywhere" | "everywhere"
//	           | ("from" | "to" | "on" | "at") target { "," target } ("and"|"or") target
//	target     = domain | "*." domain | domain "/" owner "/" repo | "@" list
//	           | "any" ["other"] ["public"] ("remote" | "web page" | ...)
//
// Nouns say what the actions apply to and so which server the rules name:
//
//	files, file, directories, directory, folders, folder     the filesystem server
//	repositories, repository, repos, git repositories        the git server (its paths)
//	remotes, remote                                          the git server (its remotes)
//	web pages, web page, pages, web sites, websites, sites,
//	urls                                                     the fetch server (http_fetch)
//	the web                                                  the fetch server (web_search)
//	server/tool, "the S server"                              those tools, whatever their roles
//
// Verbs map to argument roles (for files and repositories) or to tools:
//
//	read, list, search, inspect, view, open   read-path
//	write, create, edit, overwrite, save      write-path
//	change, modify, update                    write-path on files; write-path and
//	                                          write-history on repositories
//	commit, rewrite                           write-history (repositories)
//	delete, remove                            delete-path on files; delete-path and
//	                                          delete-history on repositories
//	move, rename                              write-path and delete-path (a move also
//	                                          reads its source: say "read" too to allow it)
//	clone, fetch, pull, push                  git_clone, git_fetch, git_pull, git_push
//	                                          on remotes (git-remote-url)
//	fetch, read, open, download, visit,
//	browse                                    http_fetch on web pages (fetch-url)
//	search                                    web_search on the web
//	use, call                                 the tools named
//
// With repositories as their object, clone, fetch, pull and push act on
// remotes ("clone repositories from github.com"). "fetch" alone is
// ambiguous and must say "web pages" or "repositories".
//
// Two fixed phrases name groups of built-in tools: "list its allowed
// directories" (filesystem/list_allowed_directories) and "manage its git
// session" (git_clear_working_dir and git_wrapup_instructions).
//
// # Places
//
// A directory is absolute or starts with "~/" ("~" is the home directory);
// ".." is refused, and a path with spaces is written in back quotes. "in",
// "under", "within" and "inside" all mean the directory and everything
// below it. "outside the sandbox", "anywhere" and no place at all add no
// condition: the sandbox is built into the engine (paths inside it are
// always allowed), and rule order gives "outside" its meaning. "outside"
// any other directory cannot be expressed and is an error: write a
// sentence for the inside and a broader one for everywhere. For ordering,
// a "~" directory and an absolute one other than "/" are taken not to
// contain each other.
//
// A domain admits itself and its subdomains ("github.com" becomes
// "github.com" and "*.github.com"); "*.github.com" admits subdomains only;
// "github.com/owner/repo" one repository. "@name" is a dynamic list. "any
// remote" and "any web page" add no domain condition, only the URL role, so
// the rule governs the remote or page and leaves the call's paths to the
// sentences about files and repositories. "any public remote" and "any
// public web page" become "*", which matches only public DNS names — never
// IP addresses, localhost or private names. "other" is for reading aloud:
// order gives it its meaning.
//
// # Rules, names and order
//
// A sentence makes one rule per object and directory. Its principle is the
// sentence, its description the sentence without "The agent", its reason
// the action phrase in a sentence of the verdict's kind ("Reading files
// outside the sandbox needs the user's approval."). Its name is the
// verdict, "git" for repositories and remotes, the verbs' classes, and the
// place: "allow-read-documents", "escalate-git-push",
// "escalate-fetch-public-pages", "deny-write-delete-outside-sandbox". A
// sentence ending in "{#name}" names its one rule; two rules with one name
// are an error.
//
// The engine takes the first matching rule per argument role, so order
// matters. The compiler keeps the order written except where two rules can
// match the same value of the same role of the same tool; then:
//
//  1. the rule with the narrower place comes first (a directory inside
//     the other's, domains within the other's, any place within none);
//  2. in the same place, the rule about fewer actions comes first (the
//     exception: "may read and write files in ~/x" then "must ask before
//     writing files in ~/x" — writing asks, reading does not);
//  3. otherwise the stricter verdict comes first (deny, escalate, allow),
//     with a warning: the sentences disagree;
//  4. otherwise — neither place within the other — the one written first
//     comes first, with a warning.
//
// Rules that cannot be ordered that way are an error naming them.
//
// # Lists
//
// "@name" names a dynamic list of domains. A definition sentence
// ("@development-sites are domains of widely used software
// documentation.") records what it holds; its values come from
// [Options].Lists or, with a model, are resolved by it. A list used but
// neither defined nor known is an error.
//
// # Scenarios
//
// For every rule of a sentence the compiler writes scenarios: a call inside
// its place for each role it decides, a call just outside its directory
// ("~/Documents-other") or domains, and for "*" a call to an IP address. The
// expected decision is worked out from the ordered rules independently of
// the engine's code, then checked on the engine. Paths use "~" (the home)
// or are relative (inside the sandbox), so `ironcurtain policy test`
// replays them anywhere.
package compile
