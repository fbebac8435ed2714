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
// The model's rules are guarded: an allow with no tool, directory or
// domain, or one reaching beyond the directories and domains its sentence
// names, is an unusable answer (sent back once, then shown in the report);
// and the rules must pass invariants the compiler writes from the
// sentence's own words — after "read-only git" no commit, reset, push or
// clone is allowed, after "never delete" no move-away or git_clean — in
// the place it names. The report says which sentence the grammar compiled
// and which the model did, and lists the model's rules.
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
// A constitution is Markdown written as people write it. Every list item
// ("- ", "* ", "+ ", "1. ", "1) ") and every paragraph is split into
// sentences (at ".", "!" or "?" before a capital letter), and every
// sentence is read as a rule; lines indented under an item continue it.
// Bold and underline marks are dropped; “smart” and "straight" quotes
// around a path hold it, spaces and all. Headings, block quotes, code
// blocks, tables and HTML comments are commentary. A paragraph sentence
// that does not say what the agent may do ("Be careful.") is reported as
// a note and not enforced; one that reads like a permission but cannot be
// read is an error, and one that reads like a prohibition anywhere in it
// is a warning, so that no rule is silently ignored.
//
// A compound sentence is split into clauses at each ",", ";", "and" or
// "but" that a new modal follows, the subject carried over: "The agent may
// read and write files in the project directory, may perform read-only git
// operations without approval, and must ask permission before pushing to
// remote repositories" is three rules' worth of sentences. An allow clause
// without a place takes the place of the clause before it (never a deny
// or an ask: that would narrow it).
//
// # Sentences
//
// A sentence is a permission in the active or the passive voice, an
// imperative, or the definition of a list; keywords are matched without
// regard to case, and the final period is optional:
//
//	sentence   = active | passive | imperative | definition ; [ "{#" rule-name "}" ]
//	active     = subject ["also" | "only"] modal action [condition]
//	subject    = "The agent" | "The assistant" | "It" | "Claude" | "You"
//	imperative = ("Never" | "Don't" | "Do not") action       → deny
//	           | ["Always"] "ask" [whom] "before" action      → escalate
//	passive    = ["Only"] action verdict          ("Pushing to any remote requires approval.")
//	definition = "@"name ("are" | "is") description
//
//	modal      = "may" | "can" | "is allowed to" | "is free to" | "is permitted to" → allow
//	           | ("must" | "should" | "must always" | "always" | ...) "ask" [whom] "before"
//	           | "must get approval to" | "needs approval to" | "needs permission to" → escalate
//	           | "may never" | "must never" | "must not" | "may not" | "cannot" | "can't"
//	           | "should never" | "should not" | "is not allowed to" | ...  → deny
//	whom       = "me" | "permission" | "the user" | "for approval" | "for permission" | ...
//	verdict    = "is allowed" | "is permitted" | "is fine" | "are allowed"  → allow
//	           | "requires approval" | "needs approval" | "require approval"
//	           | "requires the user's approval" | "needs my permission"  → escalate
//	           | "is forbidden" | "is prohibited" | "is not allowed" | "is never allowed"
//	           | "are forbidden" | "is off-limits" | ...                → deny
//	condition  = "without approval" | "without asking" | ...   (an allow stays one; a deny asks)
//	           | "unless I approve" | "unless approved" | ...  (a deny asks)
//	           | ["only"] "with my approval" | ...               (an allow asks)
//
//	action     = idiom | verbs ["permanently"] [particle] [objects] [place]
//	           | verbs path-list [noun]                ("read ~/Documents/*.txt files")
//	verbs      = verb { "," verb } [","] ("and" | "or") verb   (base or -ing form)
//	           | "perform read-only git operations"          (git's reads)
//	particle   = "in" | "from" | "to" | "into" | "on" | "at"  (before an object:
//	             "deleting from repositories", "pushing to any remote")
//	objects    = object { "," object } [","] ("and" | "or") object
//	object     = ["any" ["other"] ["public"] | "all" | "its" | "the" | "my"] noun
//	           | server "/" tool | "the" server "server"
//	place      = ("in" | "under" | "within" | "inside") path { "," path } ("and"|"or") path [exception]
//	           | ("in" | "inside" | "within") sandbox | "outside" sandbox
//	           | "anywhere" | "everywhere" | "anywhere else" | "elsewhere"
//	           | ("from" | "to" | "on" | "at") target { "," target } ("and"|"or") target
//	sandbox    = "the project directory" | "the project" | "the current project" | "the workspace"
//	           | "the sandbox" | "its sandbox" | "the working directory" | ...
//	exception  = [","] ("except" | "but not" | "excluding") ["in"] path { "," path }
//	target     = domain | URL | "*." domain | domain "/" owner "/" repo | "@" list
//	           | "any" ["other"] ["public"] ("remote" | "web page" | ...)
//
// Without a place, "delete permanently" means files and repositories; a
// verb that applies only to repositories ("commit", "rewrite") means
// repositories.
//
// Rates, counts and time windows ("at most 10 times per hour", "during
// business hours") and force pushes cannot be expressed: they are errors
// naming the idea and the nearest sentence that compiles. A misspelled
// action or modal is an error with a did-you-mean.
//
// Nouns say what the actions apply to and so which server the rules name:
//
//	files, file, directories, directory, folders, folder     the filesystem server
//	repositories, repository, repos, git repositories,
//	history, git history, changes, commits                   the git server (its paths)
//	branches, branch; tags, tag                              git_branch; git_tag
//	remotes, remote, remote repositories, remote repos       the git server (its remotes)
//	web pages, web page, pages, web sites, websites, sites,
//	urls                                                     the fetch server (http_fetch)
//	the web                                                  the fetch server (web_search)
//	server/tool, "the S server"                              those tools, whatever their roles
//
// Verbs map to argument roles (for files and repositories) or to tools:
//
//	read, list, search, inspect, view, open   read-path
//	write, create, overwrite, save            write-path
//	edit                                      read-path and write-path (an edit reads
//	                                          what it changes)
//	access, touch                             read-path, write-path and delete-path
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
// On branches and tags, creating, changing or renaming one writes history
// and deleting one deletes history: "may create branches but not delete
// them" allows git_branch's create, rename and list, and denies its delete
// and a forced create or rename (which overwrites an existing branch).
//
// With repositories as their object, clone, fetch, pull and push act on
// remotes ("clone repositories from github.com"). "fetch" alone is
// ambiguous and must say "web pages" or "repositories".
//
// # Services
//
// A sentence that names a third-party service — GitHub, Google Workspace,
// Gmail or email, Google Calendar, Google Drive, Docs, Sheets, Slack —
// compiles against that server's annotations ([Options].Annotations,
// "ironcurtain compile --annotations"): read verbs select the tools whose
// names say they only read (get, list, search, read, query, ...), "delete"
// those that delete, "send", "comment", "merge", "open" those so named,
// other verbs every other tool; nouns ("issues", "pull requests",
// "messages", "events") narrow to the tools whose names hold them. The
// tools chosen are listed in a note. Any other word is an error with its
// column. When no annotations describe the server, the sentence is
// skipped, with a note naming the server, and the policy records the
// server in skippedServers: the agent cannot call it at all.
//
// Two fixed phrases name groups of built-in tools: "list its allowed
// directories" (filesystem/list_allowed_directories) and "manage its git
// session" (git_clear_working_dir and git_wrapup_instructions).
//
// # Places and the sandbox
//
// A directory is absolute or starts with "~/" ("~" is the home directory;
// "$HOME/" is read as "~/"); ".." is refused, and a path with spaces is
// written in quotes or back quotes. A pattern ("~/Documents/*.txt") is
// read as the directory before its first wildcard, with a warning: a rule
// cannot match file names. "in", "under", "within" and "inside" all mean
// the directory and everything below it; "except ~/x" makes a rule of the
// other side for ~/x (an allow's exception is denied, a deny's or an ask's
// allowed). "outside" any directory other than the sandbox cannot be
// expressed and is an error: write a sentence for the inside and a broader
// one for everywhere. For ordering, a "~" directory and an absolute one
// other than "/" are taken not to contain each other.
//
// The sandbox — "the project directory", "the workspace", "the current
// project" — is built into the engine: paths inside it are allowed without
// a rule. An allow there makes no rule, only a note; "may only read files
// in the project directory" also denies the rest there. A deny or an ask
// there, or with no place, "anywhere" or "everywhere", reaches inside the
// sandbox ([policy.Condition].Sandbox): "Never delete permanently" denies
// the move-away of a file, git_reset --hard and git_clean in the project
// too. A deny or an ask about a directory, "outside the sandbox" or
// "anywhere else" leaves the sandbox to its allow.
//
// A domain admits itself and its subdomains ("github.com" becomes
// "github.com" and "*.github.com"); a URL is read as its host, with a
// warning when it names a page; "*.github.com" admits subdomains only;
// "github.com/owner/repo" one repository. "@name" is a dynamic list. "any
// remote" and "any web page" add no domain condition, only the URL role, so
// the rule governs the remote or page and leaves the call's paths to the
// sentences about files and repositories. "any public remote" and "any
// public web page" become "*", which matches only public DNS names — never
// IP addresses, localhost or private names. "other" is for reading aloud:
// order gives it its meaning.
//
// # Warnings
//
// Where a rule cannot do what its sentence says, the compiler warns
// (ironcurtain compile --strict fails): an allow with no place (it allows
// everywhere outside the sandbox), an allow that admits no call (a commit
// also needs reading the repository, a delete reading and writing),
// "list" (it grants reading), "rewrite history" (the engine cannot tell it
// from adding to it), a deny about "~" or "/" (it does not reach the
// sandbox), a pattern or a URL with a path (the rule is broader), a
// directory that does not exist ([Options].CheckPaths). Notes say how a
// sentence was read.
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
// the engine's code, then checked on the engine — by verdict, not by the
// rule that reached it, so that a constitution is accepted the same way on
// every machine (where /bin links into /usr, the /usr rule may decide a
// call about /bin). A rule that reaches the sandbox is also tried on a
// path inside it. Paths use "~" (the home)
// or are relative (inside the sandbox), so `ironcurtain policy test`
// replays them anywhere.
package compile
