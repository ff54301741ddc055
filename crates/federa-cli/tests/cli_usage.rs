//! What the command line accepts and how its help reads: list flags it does
//! not know are refused instead of ignored, paging works on every list, and
//! the client flags appear only where they mean something.

mod command_line;

use command_line::{federa, stderr, stdout, FEDERA};
use federa_testkit::processes::Exchange;
use federa_testkit::{Federation, ADMIN_TOKEN};
use serde_json::Value;

#[tokio::test]
async fn lists_page_and_refuse_filters_they_do_not_take() {
    let exchange = Exchange::start(FEDERA, 60).await;
    let api = &exchange.api;
    let federation = Federation::create(api).await;
    let first = federation.order_service(api, "web-01").await;
    federation.order_service(api, "web-02").await;
    let (url, token) = (api.base.as_str(), federation.consumer_token.as_str());

    api.provider_profile(&federation.provider_id, "FI", "fi-hel-1")
        .await;
    let paged = federa(url, token, &["services", "list", "--page-size", "1"]).await;
    assert!(paged.status.success(), "{}", stderr(&paged));
    let table = stdout(&paged);
    assert_eq!(table.lines().count(), 2, "{table}");
    // The service's type and provider by name, which a consumer may read.
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "NAME", "STATUS", "TYPE", "PROVIDER"],
        "{table}"
    );
    assert_eq!(
        lines[1].split_whitespace().skip(3).collect::<Vec<_>>(),
        ["VM", "Provider"],
        "{table}"
    );
    assert!(
        stderr(&paged).contains("2 in all; page 1 of 2"),
        "{}",
        stderr(&paged)
    );
    let second_page = federa(
        url,
        token,
        &[
            "services",
            "list",
            "--name",
            "web",
            "--page-size=1",
            "--page",
            "2",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(second_page.status.success(), "{}", stderr(&second_page));
    let page: Value = serde_json::from_str(&stdout(&second_page)).unwrap();
    assert_eq!(page["currentPage"], 2, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");

    // Filters in kebab-case are the exchange's camelCase ones.
    let jobs = federa(
        url,
        token,
        &["jobs", "list", "--service-id", &first, "-o", "json"],
    )
    .await;
    assert!(jobs.status.success(), "{}", stderr(&jobs));
    let jobs: Value = serde_json::from_str(&stdout(&jobs)).unwrap();
    assert_eq!(jobs["totalItems"], 1, "{jobs}");
    assert_eq!(jobs["items"][0]["serviceId"], first.as_str());
    // Tables name the service of a job instead of giving its id.
    let table = federa(url, token, &["jobs", "list", "--serviceId", &first]).await;
    let table = stdout(&table);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|row| row.contains(" web-01 ")),
        "{table}"
    );
    assert!(!table.contains(&first), "{table}");

    for args in [
        &["services", "list", "--colour", "red"][..],
        &["services", "list", "--name", "web", "--page-sizes", "2"][..],
        &["participants", "list", "--filter", "colour=red"][..],
        &["events", "list", "--entity", "x"][..],
    ] {
        let refused = federa(url, ADMIN_TOKEN, args).await;
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(stdout(&refused).is_empty(), "{args:?}: nothing listed");
        let message = stderr(&refused);
        let flag = if args[2] == "--filter" {
            "--colour"
        } else {
            args[args.len() - 2]
        };
        assert!(
            message.contains(&format!("has no filter {flag};")) && message.contains("--page-size"),
            "{args:?}: {message}"
        );
    }
    let named = federa(url, ADMIN_TOKEN, &["services", "list", "--colour", "red"]).await;
    assert!(
        stderr(&named).contains("--status") && stderr(&named).contains("--name"),
        "the filters it takes: {}",
        stderr(&named)
    );
    exchange.terminate();
}

#[tokio::test]
async fn client_flags_are_optional_in_usage_and_absent_from_server_commands() {
    // No exchange is needed to read help.
    let url = "http://127.0.0.1:9";
    for command in [&["serve"][..], &["demo"], &["agent"], &["backup"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = federa(url, "t", &args).await;
        assert!(help.status.success(), "{command:?}: {}", stderr(&help));
        let text = stdout(&help);
        for flag in ["--url", "--token", "--profile", "--output"] {
            assert!(
                !text.contains(flag),
                "{command:?} help offers {flag}:\n{text}"
            );
        }
    }
    let serve = stdout(&federa(url, "t", &["serve", "--help"]).await);
    assert!(serve.contains("--listen"), "{serve}");

    for command in [
        &["participants", "list"][..],
        &["services", "create"],
        &["placement", "preview"],
        &["events", "tail"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = federa(url, "t", &args).await;
        assert!(help.status.success(), "{command:?}: {}", stderr(&help));
        let text = stdout(&help);
        let usage = text
            .lines()
            .find(|line| line.starts_with("Usage:"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            !usage.contains("--url") && !usage.contains("--token"),
            "{command:?}: {usage}"
        );
        assert!(
            text.contains("--url <URL>") && text.contains("--token <TOKEN>"),
            "{command:?} still takes them:\n{text}"
        );
        assert!(text.contains("[env: FEDERA_URL"), "{command:?}:\n{text}");
    }

    // Missing either is no usage error until the exchange is asked, and
    // what can be told without the exchange is told first.
    let without_credentials = |args: &'static [&'static str]| async move {
        tokio::process::Command::new(FEDERA)
            .args(args)
            .env_remove("FEDERA_URL")
            .env_remove("FEDERA_TOKEN")
            .env("FEDERA_CONFIG", "/nonexistent/federa.toml")
            .output()
            .await
            .unwrap()
    };
    let no_token = without_credentials(&["participants", "list"]).await;
    assert_eq!(no_token.status.code(), Some(2));
    assert!(
        stderr(&no_token)
            .contains("no token: pass --token, set FEDERA_TOKEN or add one to a profile"),
        "{}",
        stderr(&no_token)
    );
    let misspelt = without_credentials(&["participants", "list", "--colour", "red"]).await;
    assert_eq!(misspelt.status.code(), Some(2));
    assert!(
        stderr(&misspelt).contains("has no filter --colour"),
        "{}",
        stderr(&misspelt)
    );
    let help = without_credentials(&["services", "stop", "--help"]).await;
    assert!(help.status.success(), "{}", stderr(&help));
    assert!(
        stdout(&help).starts_with("Usage: federa services stop ID"),
        "{}",
        stdout(&help)
    );
}
