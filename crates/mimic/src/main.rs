use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mimic_web::telemetry::init();
    let cli = mimic::cli::Cli::parse();
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
