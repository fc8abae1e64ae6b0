use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    quiet_on_closed_stdout();
    let cli = mimic::cli::Cli::parse();
    let logging = mimic_web::telemetry::LogOptions {
        format: cli.log_format,
        file: cli.log_file.clone(),
    };
    if let Err(error) = mimic_web::telemetry::init_with(&logging) {
        eprintln!("mimic: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    match mimic::cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // These say "mimic is …" themselves.
            if error.is::<mimic::endpoints::NotRunning>()
                || error.is::<mimic::lock::AlreadyRunning>()
            {
                eprintln!("{error}");
            } else {
                eprintln!("mimic: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// `mimic status | head -1`: once the reader has gone, the next `println!` fails with EPIPE (Rust
/// ignores SIGPIPE) and panics. Such a panic ends the process as SIGPIPE ends `ls` (status 141,
/// 128 + SIGPIPE), without a panic message; every other panic reports as before.
fn quiet_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info);
    }));
}
