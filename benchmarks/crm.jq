# mappings/crm-contact-to-member.yaml as a jq program (jq 1.6 or later), the peer bench_ndjson.py runs:
#     jq -c -f benchmarks/crm.jq contacts.ndjson
# Null fields are left out, as mapper leaves out a null it need not write; it validates nothing.

# Lower case beyond ASCII: jq's ascii_downcase leaves É as it is; the contacts' names are Latin-1.
def lower: explode | map(if (. >= 65 and . <= 90) or (. >= 192 and . <= 222 and . != 215) then . + 32 else . end)
                   | implode;
def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
def compact: with_entries(select(.value != null));
def first_of(stream): [stream | select(. != null)] | first;

{"A": "subscribed", "U": "unsubscribed", "B": "cleaned", "P": "pending"} as $email_status
| {"hiking": "4bd2a8c701", "camping": "4bd2a8c701", "yoga": "9c1e7f3b22", "running": "9c1e7f3b22"} as $interest
| . as $contact
| (.MailingAddress // {}) as $address
| {
    email_address: (first_of(([.Emails[]? | select(.IsPrimary)] | first | .Address?), .Emails[0]?.Address)
                    | if . == null then null else trim | lower end),
    status: ((if .HasOptedOutOfEmail then "U" else .EmailStatus__c end) as $code
             | if $code == null then "pending" else $email_status[$code] // "pending" end),
    email_type: "html",
    merge_fields: ({
      FNAME: .FirstName,
      LNAME: .LastName,
      PHONE: first_of(([.Phones[]? | select(.Type == "Mobile")] | first | .Number?), .Phones[0]?.Number),
      COMPANY: .Account?.Name,
      BIRTHDAY: (.Birthdate | if . == null then null else .[5:7] + "/" + .[8:10] end),
      ADDRESS: (if ($address.Street | . != null and . != "") and ($address.City | . != null and . != "") then
                  ($address.Street | split("\n")) as $lines
                  | {addr1: $lines[0], addr2: $lines[1], city: $address.City, state: ($address.State // ""),
                     zip: ($address.PostalCode // ""), country: $address.CountryCode} | compact
                else null end)
    } | compact),
    language: ((.PreferredLanguage__c | if . == null then null else split("-")[0] end) // "en"),
    vip: (.Account?.Tier__c == "Strategic"),
    tags: ([.LeadSource, .Account?.Industry] | map(select(. != null and . != "") | "crm:" + .)),
    interests: ([.Interests[]? | {key: ($interest[.] // "e05d6a9f48"), value: true}] | from_entries),
    timestamp_signup: (.CreatedDate | capture("^(?<at>[^.]+)\\.[0-9]+(?<sign>[+-])(?<h>[0-9]{2})(?<m>[0-9]{2})$")
                       | "\(.at)\(.sign)\(.h):\(.m)"),
    source: "crm",
    external_id: .Id
  }
| compact
