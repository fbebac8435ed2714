package policy

import "fmt"

// Role names what an argument value means to the policy: a path that is
// read, a URL that is fetched, an identifier. Annotations give each tool
// argument its roles; rules are written in terms of roles.
type Role string

// The roles IronCurtain's artifacts use. Path roles are canonicalised as
// file paths, URL roles as URLs, identifier roles are lower-cased; the
// remaining roles are opaque (never canonicalised, never evaluated on their
// own, but usable in `roles` and `lists` conditions).
const (
	RoleReadPath        Role = "read-path"
	RoleWritePath       Role = "write-path"
	RoleDeletePath      Role = "delete-path"
	RoleWriteHistory    Role = "write-history"
	RoleDeleteHistory   Role = "delete-history"
	RoleFetchURL        Role = "fetch-url"
	RoleGitRemoteURL    Role = "git-remote-url"
	RoleGitHubOwner     Role = "github-owner"
	RoleGitHubRepo      Role = "github-repo"
	RoleProxyDomain     Role = "proxy-domain"
	RoleBranchName      Role = "branch-name"
	RoleCommitMessage   Role = "commit-message"
	RoleEmailAddress    Role = "email-address"
	RoleEmailBody       Role = "email-body"
	RoleSharePermission Role = "share-permission"
	RoleNone            Role = "none"
)

// Category is how a role's values are treated.
type Category uint8

// Role categories.
const (
	CategoryOpaque     Category = iota // not a resource; identity
	CategoryPath                       // file path: resolved like the kernel
	CategoryURL                        // URL: parsed, host extracted
	CategoryIdentifier                 // identifier: lower-cased
)

// String returns "opaque", "path", "url" or "identifier".
func (c Category) String() string {
	switch c {
	case CategoryPath:
		return "path"
	case CategoryURL:
		return "url"
	case CategoryIdentifier:
		return "identifier"
	}
	return "opaque"
}

// roleID indexes a role in the registry; masks of roles are bit sets.
type roleID uint8

type roleMask uint32

func (m roleMask) has(r roleID) bool { return m&(1<<r) != 0 }

type roleInfo struct {
	name     Role
	category Category
	// lower: the value is lower-cased when canonicalised (identifiers and
	// share-permission).
	lower bool
}

// registry lists the roles in a fixed order; the index is the roleID.
var registry = [...]roleInfo{
	{RoleReadPath, CategoryPath, false},
	{RoleWritePath, CategoryPath, false},
	{RoleDeletePath, CategoryPath, false},
	{RoleWriteHistory, CategoryPath, false},
	{RoleDeleteHistory, CategoryPath, false},
	{RoleFetchURL, CategoryURL, false},
	{RoleGitRemoteURL, CategoryURL, false},
	{RoleGitHubOwner, CategoryIdentifier, true},
	{RoleGitHubRepo, CategoryIdentifier, true},
	{RoleProxyDomain, CategoryIdentifier, true},
	{RoleBranchName, CategoryOpaque, false},
	{RoleCommitMessage, CategoryOpaque, false},
	{RoleEmailAddress, CategoryOpaque, false},
	{RoleEmailBody, CategoryOpaque, false},
	{RoleSharePermission, CategoryOpaque, true},
	{RoleNone, CategoryOpaque, false},
}

var roleIndex = func() map[Role]roleID {
	m := make(map[Role]roleID, len(registry))
	for i, r := range registry {
		m[r.name] = roleID(i)
	}
	return m
}()

// Roles returns every known role, in registry order.
func Roles() []Role {
	out := make([]Role, len(registry))
	for i, r := range registry {
		out[i] = r.name
	}
	return out
}

// Category returns the role's category, and false for an unknown role.
func (r Role) Category() (Category, bool) {
	id, ok := roleIndex[r]
	if !ok {
		return CategoryOpaque, false
	}
	return registry[id].category, true
}

func lookupRole(r Role) (roleID, error) {
	id, ok := roleIndex[r]
	if !ok {
		return 0, fmt.Errorf("unknown role %q", r)
	}
	return id, nil
}

func (id roleID) info() roleInfo { return registry[id] }
func (id roleID) String() string { return string(registry[id].name) }

// isResource reports whether values of the role identify resources and are
// evaluated role by role: paths, URLs and identifiers.
func (id roleID) isResource() bool { return registry[id].category != CategoryOpaque }

// Masks of role categories, computed once.
var (
	pathRoles     = maskOf(CategoryPath)
	urlRoles      = maskOf(CategoryURL)
	resourceRoles = maskOf(CategoryPath) | maskOf(CategoryURL) | maskOf(CategoryIdentifier)
	allRoles      = roleMask(1<<len(registry) - 1)
)

func maskOf(c Category) roleMask {
	var m roleMask
	for i, r := range registry {
		if r.category == c {
			m |= 1 << i
		}
	}
	return m
}
