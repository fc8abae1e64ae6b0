//! The OData query options mimic's Graph understands — `$filter` (clauses joined by `and`),
//! `$top`, `$skiptoken`, `$select`, `$count` — with the `ConsistencyLevel: eventual` header of
//! Graph's advanced queries, and the translation of a filter clause into a directory query for
//! each entity type. Any other `$` option is refused with `Request_UnsupportedQuery`, so nothing
//! is silently ignored.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::error::{BadRequest, GraphError, RequestBadRequest};
use crate::applications::store::ApplicationFilter;
use crate::principals::model::PrincipalType;
use crate::principals::store::PrincipalFilter;

/// Default page size of a collection.
pub const DEFAULT_TOP: u32 = 100;
/// Largest `$top` Graph accepts for directory objects.
pub const MAX_TOP: u32 = 999;

/// The query options of a Graph request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ODataQuery {
    /// `$filter`, parsed.
    pub filter: Option<Filter>,
    /// `$filter` as sent, for next links.
    pub filter_text: Option<String>,
    /// `$top`.
    pub top: Option<u32>,
    /// `$skiptoken`: the id the previous page ended at.
    pub after: Option<String>,
    /// `$select`, as sent (names are checked against the entity type later).
    pub select: Option<Vec<String>>,
    /// `$count=true`.
    pub count: bool,
    /// The request's `ConsistencyLevel: eventual` header (Graph's advanced queries).
    pub eventual: bool,
}

const SUPPORTED: [&str; 5] = ["$filter", "$top", "$skiptoken", "$select", "$count"];

impl ODataQuery {
    /// Parses a query string; options are matched case-insensitively, as Graph does.
    pub fn parse(query_string: &str) -> Result<Self, GraphError> {
        Self::parse_with(query_string, false)
    }

    /// Parses a query string sent with (`eventual`) or without `ConsistencyLevel: eventual`.
    pub fn parse_with(query_string: &str, eventual: bool) -> Result<Self, GraphError> {
        let mut query = Self {
            eventual,
            ..Self::default()
        };
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
            let name = name.to_ascii_lowercase();
            if !name.starts_with('$') {
                continue;
            }
            if !SUPPORTED.contains(&name.as_str()) {
                return Err(unsupported_option(&name, eventual));
            }
            if seen.contains(&name) {
                return Err(GraphError::BadRequest(BadRequest::DuplicateQueryOption(
                    name,
                )));
            }
            query.set(&name, value.into_owned())?;
            seen.push(name);
        }
        Ok(query)
    }

    fn set(&mut self, name: &str, value: String) -> Result<(), GraphError> {
        match name {
            "$filter" => {
                self.filter = Some(Filter::parse(&value)?);
                self.filter_text = Some(value);
            }
            "$count" => {
                self.count = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(GraphError::BadRequest(BadRequest::InvalidCount(
                            value.clone(),
                        )))
                    }
                }
            }
            "$top" => self.top = Some(parse_top(&value)?),
            "$skiptoken" => self.after = Some(decode_skip_token(&value)?),
            _ => {
                let names = value.split(',').map(|n| n.trim().to_string());
                self.select = Some(names.filter(|n| !n.is_empty()).collect());
            }
        }
        Ok(())
    }

    /// Refuses every option but `$select`, for operations that address one entity or a fixed set.
    pub fn only_select(&self) -> Result<(), GraphError> {
        let given = [
            ("$filter", self.filter.is_some()),
            ("$top", self.top.is_some()),
            ("$skiptoken", self.after.is_some()),
            ("$count", self.count),
        ];
        match given.into_iter().find(|(_, present)| *present) {
            Some((name, _)) => Err(GraphError::RequestUnsupportedQuery(format!(
                "The query parameter '{name}' is not supported."
            ))),
            None => Ok(()),
        }
    }

    /// Whether the collection carries `@odata.count`: `$count=true` counts only in an advanced
    /// query (`ConsistencyLevel: eventual`); without the header Graph ignores it.
    pub fn wants_count(&self) -> bool {
        self.count && self.eventual
    }

    /// The page size: `$top`, or the default.
    pub fn page_size(&self) -> u32 {
        self.top.unwrap_or(DEFAULT_TOP)
    }

    /// The query string of the page after the one ending at `last_id`.
    pub fn next_page(&self, last_id: &str) -> String {
        let encode =
            |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let mut parts = Vec::new();
        if let Some(filter) = &self.filter_text {
            parts.push(format!("$filter={}", encode(filter)));
        }
        if let Some(select) = &self.select {
            parts.push(format!("$select={}", encode(&select.join(","))));
        }
        if self.count {
            parts.push("$count=true".into());
        }
        parts.push(format!("$top={}", self.page_size()));
        parts.push(format!("$skiptoken={}", skip_token(last_id)));
        parts.join("&")
    }
}

impl FromRequest for ODataQuery {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let eventual = request
            .headers()
            .get("ConsistencyLevel")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("eventual"));
        ready(Self::parse_with(request.query_string(), eventual))
    }
}

/// Graph's answer to a system query option mimic does not implement. Graph's own wordings where
/// it refuses the option on directory objects; mimic's otherwise.
fn unsupported_option(name: &str, eventual: bool) -> GraphError {
    match name {
        // Graph without an advanced query (microsoftgraph/microsoft-graph-docs#13762, and the
        // strings of Microsoft Graph PowerShell's advanced-query feedback provider).
        "$orderby" => {
            GraphError::RequestUnsupportedQuery("Sorting not supported for current query.".into())
        }
        // 400 `Request_BadRequest`, as clients of Graph quote it (`/groups?$skip=5`).
        "$skip" => GraphError::RequestBadRequest(RequestBadRequest::SkipNotSupported),
        // Graph without `ConsistencyLevel: eventual` (the PowerShell feedback provider's strings).
        "$search" if !eventual => GraphError::RequestUnsupportedQuery(
            "Request with $search query parameter only works through MSGraph with a special \
             request header: 'ConsistencyLevel: eventual'"
                .into(),
        ),
        _ => GraphError::RequestUnsupportedQuery(format!(
            "The query parameter '{name}' is not supported."
        )),
    }
}

fn parse_top(value: &str) -> Result<u32, GraphError> {
    let top: u64 = value
        .trim()
        .parse()
        .map_err(|_| GraphError::BadRequest(BadRequest::InvalidTop(value.to_string())))?;
    match u32::try_from(top) {
        Ok(top) if (1..=MAX_TOP).contains(&top) => Ok(top),
        _ => Err(GraphError::RequestUnsupportedQuery(format!(
            "Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive."
        ))),
    }
}

/// The opaque `$skiptoken` for a page that ended at `last_id`.
pub fn skip_token(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("mimic:{last_id}"))
}

fn decode_skip_token(token: &str) -> Result<String, GraphError> {
    URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("mimic:").map(str::to_string))
        .ok_or(GraphError::DirectoryExpiredPageToken)
}

/// A `$filter` literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `'text'` (with `''` for a quote).
    Text(String),
    /// An unquoted literal: `true`, `false`, a number, `null`.
    Bare(String),
}

/// A `$filter`: one clause, or several joined by `and` (az joins its filters so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Every clause must hold.
    pub clauses: Vec<Clause>,
}

impl Filter {
    /// Parses `clause [and clause]…`; `or`, `not` and parentheses around clauses are
    /// `Request_UnsupportedQuery`, anything that does not parse `Invalid filter clause`.
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        let invalid = || GraphError::BadRequest(BadRequest::InvalidFilterClause);
        let tokens = tokenize(text).ok_or_else(invalid)?;
        let mut clauses = Vec::new();
        for part in split_and(&tokens) {
            clauses.push(Clause::from_token_list(part)?);
        }
        Ok(Self { clauses })
    }

    /// The one clause, for entity sets that take no `and` (service principals).
    pub fn single(&self) -> Result<&Clause, GraphError> {
        match self.clauses.as_slice() {
            [clause] => Ok(clause),
            _ => Err(GraphError::RequestUnsupportedQuery(
                "Unsupported query.".into(),
            )),
        }
    }
}

/// The token runs between top-level `and`s.
fn split_and(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(word) if depth == 0 && word.eq_ignore_ascii_case("and") => {
                parts.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// One `$filter` clause, the forms az and common tools send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// `property eq literal`.
    Eq { property: String, value: Literal },
    /// `startswith(property,'prefix')`.
    StartsWith { property: String, prefix: String },
    /// `collection/any(c:c eq 'value')`.
    AnyEq { collection: String, value: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
    Colon,
}

impl Clause {
    /// Parses one clause. Combinations (`and`, `or`, `not`) and operators other than `eq` are
    /// `Request_UnsupportedQuery`; anything else that does not parse is `Invalid filter clause`.
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        let invalid = || GraphError::BadRequest(BadRequest::InvalidFilterClause);
        let tokens = tokenize(text).ok_or_else(invalid)?;
        Self::from_token_list(&tokens)
    }

    fn from_token_list(tokens: &[Token]) -> Result<Self, GraphError> {
        let invalid = || GraphError::BadRequest(BadRequest::InvalidFilterClause);
        if let Some(clause) = Self::from_tokens(tokens) {
            return Ok(clause);
        }
        let unsupported_word = |t: &Token| {
            matches!(t, Token::Word(w) if ["and", "or", "not", "ne", "gt", "ge", "lt", "le", "in", "endswith"]
                .iter().any(|op| w.eq_ignore_ascii_case(op)))
        };
        if tokens.iter().any(unsupported_word) {
            return Err(GraphError::RequestUnsupportedQuery(
                "Unsupported query.".into(),
            ));
        }
        Err(invalid())
    }

    fn from_tokens(tokens: &[Token]) -> Option<Self> {
        use Token::*;
        let is = |word: &str, expected: &str| word.eq_ignore_ascii_case(expected);
        match tokens {
            [Word(property), Word(op), Text(value)] if is(op, "eq") => Some(Self::Eq {
                property: property.clone(),
                value: Literal::Text(value.clone()),
            }),
            [Word(property), Word(op), Word(value)] if is(op, "eq") => Some(Self::Eq {
                property: property.clone(),
                value: Literal::Bare(value.clone()),
            }),
            [Word(function), Open, Word(property), Comma, Text(prefix), Close]
                if is(function, "startswith") =>
            {
                Some(Self::StartsWith {
                    property: property.clone(),
                    prefix: prefix.clone(),
                })
            }
            [Word(any), Open, Word(var), Colon, Word(var2), Word(op), Text(value), Close]
                if var == var2 && is(op, "eq") =>
            {
                let (collection, function) = any.rsplit_once('/')?;
                is(function, "any").then(|| Self::AnyEq {
                    collection: collection.to_string(),
                    value: value.clone(),
                })
            }
            _ => None,
        }
    }

    /// The property (or collection) the clause is about, for error messages.
    pub fn property(&self) -> &str {
        match self {
            Self::Eq { property, .. } | Self::StartsWith { property, .. } => property,
            Self::AnyEq { collection, .. } => collection,
        }
    }

    /// The directory query for `servicePrincipals`, or `Request_UnsupportedQuery` for a property
    /// mimic (and mostly Graph) cannot filter on.
    pub fn service_principal_filter(&self) -> Result<PrincipalFilter, GraphError> {
        let name = |expected: &str| self.property().eq_ignore_ascii_case(expected);
        let filter = match self {
            Self::Eq {
                value: Literal::Text(value),
                ..
            } => match () {
                _ if name("id") => Some(PrincipalFilter::Id(value.clone())),
                _ if name("appId") => Some(PrincipalFilter::AppId(value.clone())),
                _ if name("displayName") => Some(PrincipalFilter::DisplayName(value.clone())),
                _ if name("servicePrincipalType") => Some(
                    PrincipalType::parse(value)
                        .map_or(PrincipalFilter::Nothing, PrincipalFilter::Type),
                ),
                _ => None,
            },
            Self::Eq {
                value: Literal::Bare(value),
                ..
            } if name("accountEnabled") => match value.to_ascii_lowercase().as_str() {
                "true" => Some(PrincipalFilter::AccountEnabled(true)),
                "false" => Some(PrincipalFilter::AccountEnabled(false)),
                _ => return Err(GraphError::BadRequest(BadRequest::InvalidFilterClause)),
            },
            Self::StartsWith { prefix, .. } if name("displayName") => {
                Some(PrincipalFilter::DisplayNameStartsWith(prefix.clone()))
            }
            Self::AnyEq { value, .. } => match () {
                _ if name("servicePrincipalNames") => {
                    Some(PrincipalFilter::ServicePrincipalName(value.clone()))
                }
                _ if name("alternativeNames") => {
                    Some(PrincipalFilter::AlternativeName(value.clone()))
                }
                _ if name("tags") => Some(PrincipalFilter::Tag(value.clone())),
                _ => None,
            },
            _ => None,
        };
        filter.ok_or_else(|| unsupported_property(self.property(), "ServicePrincipal"))
    }

    /// The directory query for `applications`, or `Request_UnsupportedQuery` for a property
    /// mimic cannot filter on.
    pub fn application_filter(&self) -> Result<ApplicationFilter, GraphError> {
        let name = |expected: &str| self.property().eq_ignore_ascii_case(expected);
        let filter = match self {
            Self::Eq {
                value: Literal::Text(value),
                ..
            } => match () {
                _ if name("id") => Some(ApplicationFilter::Id(value.clone())),
                _ if name("appId") => Some(ApplicationFilter::AppId(value.clone())),
                _ if name("displayName") => Some(ApplicationFilter::DisplayName(value.clone())),
                _ => None,
            },
            Self::StartsWith { prefix, .. } if name("displayName") => {
                Some(ApplicationFilter::DisplayNameStartsWith(prefix.clone()))
            }
            Self::AnyEq { value, .. } if name("identifierUris") => {
                Some(ApplicationFilter::IdentifierUri(value.clone()))
            }
            _ => None,
        };
        filter.ok_or_else(|| unsupported_property(self.property(), "Application"))
    }

    /// Checks the clause against the `user` type; `model::User::matches` then evaluates it.
    pub fn check_user_filter(&self) -> Result<(), GraphError> {
        let name = |names: &[&str]| {
            names
                .iter()
                .any(|n| self.property().eq_ignore_ascii_case(n))
        };
        let strings = [
            "id",
            "userPrincipalName",
            "displayName",
            "mail",
            "mailNickname",
            "givenName",
            "surname",
            "userType",
        ];
        let supported = match self {
            Self::Eq {
                value: Literal::Text(_),
                ..
            }
            | Self::StartsWith { .. } => name(&strings),
            Self::Eq {
                value: Literal::Bare(_),
                ..
            } => name(&["accountEnabled"]),
            Self::AnyEq { .. } => name(&["otherMails", "proxyAddresses", "imAddresses"]),
        };
        if supported {
            Ok(())
        } else {
            Err(unsupported_property(self.property(), "User"))
        }
    }
}

pub(crate) fn unsupported_property(property: &str, resource: &str) -> GraphError {
    GraphError::RequestUnsupportedQuery(format!(
        "Unsupported or invalid query filter clause specified for property '{property}' of resource '{resource}'."
    ))
}

/// Splits a filter into words, quoted strings and punctuation; `None` if a string is unterminated
/// or a character has no place in the grammar.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            ':' => tokens.push(Token::Colon),
            '\'' => {
                let mut text = String::new();
                loop {
                    match chars.next()? {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        '\'' => break,
                        other => text.push(other),
                    }
                }
                tokens.push(Token::Text(text));
            }
            c if is_word_char(c) => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek().filter(|n| is_word_char(**n)) {
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            _ => return None,
        }
    }
    Some(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-' | '$' | '@' | '#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<impl std::fmt::Debug, GraphError>) -> &'static str {
        result.unwrap_err().code()
    }

    #[test]
    fn clause_parses_the_forms_az_sends() {
        let cases = [
            (
                "servicePrincipalNames/any(c:c eq 'a-b')",
                PrincipalFilter::ServicePrincipalName("a-b".into()),
            ),
            (
                " servicePrincipalNames/ANY( x : x eq '/subscriptions/s' ) ",
                PrincipalFilter::ServicePrincipalName("/subscriptions/s".into()),
            ),
            ("appId eq 'A'", PrincipalFilter::AppId("A".into())),
            (
                "displayName eq 'it''s'",
                PrincipalFilter::DisplayName("it's".into()),
            ),
            (
                "startswith(displayName,'vm')",
                PrincipalFilter::DisplayNameStartsWith("vm".into()),
            ),
            (
                "servicePrincipalType eq 'ManagedIdentity'",
                PrincipalFilter::Type(PrincipalType::ManagedIdentity),
            ),
            (
                "accountEnabled eq false",
                PrincipalFilter::AccountEnabled(false),
            ),
            (
                "alternativeNames/any(n:n eq 'isExplicit=True')",
                PrincipalFilter::AlternativeName("isExplicit=True".into()),
            ),
        ];
        for (text, want) in cases {
            let clause = Clause::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(clause.service_principal_filter().unwrap(), want, "{text}");
        }
    }

    #[test]
    fn clause_rejects_each_bad_filter_with_graphs_code() {
        let cases = [
            ("appId eq", "BadRequest"),
            ("appId eq 'unterminated", "BadRequest"),
            ("appId == 'x'", "BadRequest"),
            ("servicePrincipalNames/any(c:d eq 'x')", "BadRequest"),
            (
                "appId eq 'a' and displayName eq 'b'",
                "Request_UnsupportedQuery",
            ),
            ("appId ne 'a'", "Request_UnsupportedQuery"),
        ];
        for (text, want) in cases {
            assert_eq!(code(Clause::parse(text)), want, "{text}");
        }
        let homepage = Clause::parse("homepage eq 'x'").unwrap();
        let error = homepage.service_principal_filter().unwrap_err();
        assert_eq!(error.code(), "Request_UnsupportedQuery");
        assert_eq!(
            error.to_string(),
            "Unsupported or invalid query filter clause specified for property 'homepage' of resource 'ServicePrincipal'."
        );
    }

    #[test]
    fn filter_joins_clauses_with_and_only() {
        let filter = Filter::parse("displayName eq 'a and b' AND mailNickname eq 'x'").unwrap();
        assert_eq!(filter.clauses.len(), 2);
        assert_eq!(code(filter.single()), "Request_UnsupportedQuery");
        let cases = [
            ("a eq 'x' or b eq 'y'", "Request_UnsupportedQuery"),
            ("a eq 'x' and", "BadRequest"),
            ("and", "BadRequest"),
        ];
        for (text, want) in cases {
            assert_eq!(code(Filter::parse(text)), want, "{text}");
        }
    }

    #[test]
    fn count_is_true_or_false_and_counts_only_with_eventual_consistency() {
        let query = ODataQuery::parse("$count=TRUE").unwrap();
        assert!(query.count && !query.wants_count());
        assert!(ODataQuery {
            eventual: true,
            ..query
        }
        .wants_count());
        assert_eq!(code(ODataQuery::parse("$count=yes")), "BadRequest");
    }

    #[test]
    fn user_filters_are_checked_against_the_user_type() {
        let good = Clause::parse("userPrincipalName eq 'a@b.c'").unwrap();
        assert!(good.check_user_filter().is_ok());
        let bad = Clause::parse("appId eq 'x'").unwrap();
        assert_eq!(code(bad.check_user_filter()), "Request_UnsupportedQuery");
    }

    #[test]
    fn query_parses_options_and_refuses_others() {
        let query =
            ODataQuery::parse("$top=5&$select=id,appId&api-version=1&$filter=appId%20eq%20'x'")
                .unwrap();
        assert_eq!(query.top, Some(5));
        assert_eq!(
            query.select.as_deref(),
            Some(&["id".to_string(), "appId".to_string()][..])
        );
        assert_eq!(query.filter_text.as_deref(), Some("appId eq 'x'"));
        let cases = [
            ("$orderby=displayName", "Request_UnsupportedQuery"),
            ("$top=1000", "Request_UnsupportedQuery"),
            ("$top=0", "Request_UnsupportedQuery"),
            ("$top=abc", "BadRequest"),
            ("$top=1&$TOP=2", "BadRequest"),
            ("$skiptoken=zzz", "Directory_ExpiredPageToken"),
            ("$skip=5", "Request_BadRequest"),
            ("$search=x", "Request_UnsupportedQuery"),
        ];
        for (text, want) in cases {
            assert_eq!(code(ODataQuery::parse(text)), want, "{text}");
        }
    }

    #[test]
    fn next_page_round_trips_through_parse() {
        let query = ODataQuery::parse("$filter=startswith(displayName,'a b')&$top=2").unwrap();
        let next = ODataQuery::parse(&query.next_page("id-9")).unwrap();
        assert_eq!(next.after.as_deref(), Some("id-9"));
        assert_eq!(next.filter, query.filter);
        assert_eq!(next.top, Some(2));
    }
}
