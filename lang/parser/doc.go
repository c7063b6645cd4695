// Package parser reads the text of Falco rule conditions and output formats.
// It accepts exactly what the upstream condition parser accepts, with the
// few exceptions listed at the end of this comment.
//
// # Condition grammar
//
// Parse reads a condition into an [ast.Expr]. In the grammar below, BLANK is
// one of ' ', '\t', '\b', '\r', '\n'; SPACE is one of ' ', '\t', '\n', '\v',
// '\f', '\r'. Blanks may appear between tokens, except that a field or
// transformer name touches its '[' or '(', and a transformer's ')' touches
// a '[' after it. Where a blank is required, the grammar says so.
//
//	condition   = or .
//	or          = and { "or" ( BLANK and | "(" or ")" ) } .
//	and         = not { "and" ( BLANK not | "(" or ")" ) } .
//	not         = { "not" SPACE { SPACE } } ( "not(" or ")" | check ) .
//	check       = "(" or ")" | operand cmp | IDENT .
//	operand     = field | transformer .
//	field       = NAME [ "[" ( QUOTED | ARGBARE ) "]" ] .
//	cmp         = "exists"
//	            | numop ( transformer | val | NUMBER )
//	            | strop ( BLANK modifier BLANK list | transformer | val | STRING )
//	            | listop ( list | transformer | val ) .
//	numop       = "<=" | "<" | ">=" | ">" .
//	strop       = "==" | "=" | "!="
//	            | ( "contains" | "icontains" | "bcontains" | "startswith"
//	              | "bstartswith" | "endswith" | "glob" | "iglob" | "regex" ) BLANK .
//	listop      = ( "intersects" | "in" | "pmatch" ) ( BLANK | "(" ) .
//	modifier    = "oneof" | "anyof" | "allof" .
//	list        = "(" [ STRING { "," STRING } ] ")" | IDENT .
//	transformer = tname "(" targs ")" [ "[" ( QUOTED | ARGBARE ) "]" ] .
//	tname       = "tolower" | "toupper" | "b64" | "basename" | "len"
//	            | "join" | "concat" | "getopt" .
//	targs       = field | transformer                 (tolower, toupper, b64, basename, len)
//	            | targ { "," targ } .                 (join, concat, getopt)
//	targ        = item | "(" [ item { "," item } ] ")" .
//	item        = field | transformer | QUOTED | NUMBER .
//	val         = "val(" field ")" .
//
// The tokens are:
//
//	IDENT   = [a-zA-Z]+[a-zA-Z0-9_]*                  (not "and", "or" or "not")
//	NAME    = IDENT ( "." IDENT )+                     (a field name has a dot)
//	ARGBARE = [^][\"'SPACE]+
//	BARE    = [^()\"'=,SPACE]+
//	STRING  = QUOTED | BARE
//	NUMBER  = 0[xX][0-9a-fA-F]+ | [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?
//	QUOTED  = '...' | "..."
//
// Operators and keywords are matched as prefixes of the remaining text, the
// longest alternative first: "exists" needs nothing after it ("x.y existsand m" is accepted), and "and"/"or" need no blank before
// them ("(a)and(b)"). A word that merely starts like a keyword ("notz",
// "and_macro") is an identifier.
//
// A quoted string ends at the first delimiter whose preceding byte is not a
// backslash. Its escapes are \b \f \n \r \t \\ \/ and \xHH; \" is allowed
// only between double quotes and \' only between single quotes; any other
// escape is an error. Backslash-space stands for a single backslash (the
// space is dropped), which is the only way to end a quoted string with a
// backslash.
//
// "not" binds tightest, then "and", then "or". Consecutive operands joined
// by the same operator form one n-ary [ast.And] or [ast.Or]; a parenthesised
// group stays its own node, so "(a and b) and c" is And(And(a, b), c), which
// is also what its String form reads back as. Each "not" gives one
// [ast.Not]: "not not a" is Not(Not(a)).
//
// The right side of a string operator is a value, a transformer or val(). A
// list after a modifier is written in parentheses or as the name of a list;
// when "oneof", "anyof" or "allof" is not followed by either, it is an
// ordinary value ("proc.name = oneof and x.y exists").
//
// # Transformer arguments
//
// tolower, toupper, b64, basename and len take exactly one field or
// transformer. join, concat and getopt take one or more arguments, each a
// field, a transformer, a quoted string, a number, or a parenthesised list
// of those: join("-", (fd.name, fd.directory)). The tree has no list node
// of its own for such an argument, so a parenthesised argument list is an
// [ast.TransformerExpr] with an empty Name whose Args are the list items.
//
// # Output formats
//
// ParseFormat reads a rule output: literal text with %-tokens. A leading '*'
// asks for "<NA>" in place of missing values. A token is '%', an optional
// decimal column width, and then either a transformer call such as
// %tolower(proc.name) or a field name. The name is read greedily over
// [a-zA-Z0-9_.] and shortened one byte at a time until the caller's isField
// knows it, so punctuation can follow a token (%proc.name), %fd.name,). A
// bracket argument directly after the full name, as in %proc.aname[2], is
// taken as the field's argument; a '[' that does not open a well-formed
// argument is literal text. A '%' at the end of the format is an error.
//
// # Differences from upstream
//
// Each "not" is kept as its own node instead of being folded by parity.
// "and", "or" and "not" are not accepted as macro or list names; upstream
// reads them as identifiers that can then name no macro. "in",
// "intersects" and "pmatch" must be followed by a blank or "(" rather than
// being matched as bare prefixes. An invalid escape sequence is an error
// wherever it appears. Nesting of parentheses, "not", transformers and
// val() is limited to 1000 levels.
package parser
