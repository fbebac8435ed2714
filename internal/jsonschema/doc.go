// Package jsonschema validates tool arguments against the JSON Schema a tool
// declares as its input schema. It is the Gate's argument check: small,
// strict, allocation-free on success, and with error messages that name the
// offending argument so the agent can correct itself.
//
//	s, err := jsonschema.Compile(tool.InputSchema) // once per tool
//	...
//	if err := s.Validate(call.Arguments); err != nil {
//		// err is a *jsonschema.Error: `argument "path" must be a string`
//	}
//
// It understands what tool schemas use: type (also "integer" and lists of
// types, and OpenAPI's nullable), properties, required, additionalProperties,
// patternProperties, propertyNames, minProperties/maxProperties, enum, const,
// items (a schema, or a tuple with additionalItems), prefixItems,
// minItems/maxItems, minimum/maximum, exclusiveMinimum/exclusiveMaximum (both
// the draft-4 flag and the later number), multipleOf, minLength/maxLength (in
// characters), pattern (RE2), allOf, anyOf, oneOf, not, if/then/else and
// local $ref ("#", "#/$defs/x", "#/definitions/x"). Other keywords, such as
// format, uniqueItems and contains, are ignored.
//
// It is stricter than JSON Schema in one way, as IronCurtain is: a schema that
// lists properties and says nothing about additional ones admits no others,
// so an unknown argument is refused. This applies where one schema describes
// a whole value — the root, each property, item and branch of anyOf/oneOf —
// and not to members of allOf or to a schema that is also composed with
// anyOf, oneOf, allOf, not, if or $ref, where each part describes only a part
// of the value.
//
// A schema that cannot be enforced is a compile error, never a schema that
// accepts everything: a reference outside the document, a keyword of the
// wrong type, a pattern RE2 cannot compile, a cycle of references that never
// descends into the value.
package jsonschema
