package ruleset

// APIVersion is the version of the API this package offers generated code
// (see the package documentation). Generated code refers to
// EnforceAPIVersion(APIVersion - N) so that code generated for another
// version fails to compile.
const APIVersion = 1

// EnforceAPIVersion is a compile-time check: EnforceAPIVersion(APIVersion - N)
// and EnforceAPIVersion(N - APIVersion) both compile only when N equals
// APIVersion.
type EnforceAPIVersion uint
