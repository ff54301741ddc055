//! `federa orders …`: ordering one service with a binding quote, and
//! accepting, cancelling, approving, rejecting, confirming or declining it.

use clap::{Args, Subcommand};
use federa_client::api::compositions::CompositionCreateReq;
use federa_client::api::orders::{
    OrderCompositionReq, OrderCreateReq, OrderDecisionReq, OrderItemsReq, OrderRes,
};
use federa_client::Sent;
use federa_domain::commerce::OrderItem;
use serde_json::Value;

use super::list_query::ListArgs;
use super::output::{self, Format};
use super::placement::PlacementRules;
use super::services::ServiceFields;
use super::{connect, id_arg, names, resource, show, usage, values};
use super::{Connection, Outcome, ResourceArgs, Verb};

#[derive(Args)]
pub struct OrdersArgs {
    #[command(subcommand)]
    verb: OrdersVerb,
}

#[derive(Subcommand)]
enum OrdersVerb {
    /// Order one service: the exchange places it now (by the placement
    /// flags, or at --offering) and prints the quote.
    Create {
        #[command(flatten)]
        fields: ServiceFields,
        /// The offering to be quoted, by id.
        #[arg(long)]
        offering: Option<String>,
        #[command(flatten)]
        rules: PlacementRules,
    },
    /// Order several services at once: ITEMS is a JSON array, each item
    /// as `POST /orders` takes one (`name`, `serviceTypeId`, `groupId`,
    /// `properties`, `placement`, `offeringId`); prints each line's quote
    /// and the total.
    CreateItems { items: String },
    /// Order a composition: COMPOSITION is a JSON document as `POST
    /// /compositions` takes one (`groupId`, `name`, `components`,
    /// `relations`, `onFailure`); prints each component's quote and the
    /// total. Accepting the order submits the composition at the quotes.
    CreateComposition { composition: String },
    /// List orders, with filters as `--key value` or `--filter key=value`.
    List(ListArgs),
    /// Show one order with its quote.
    Show { id: String },
    /// Accept the quote: the service is ordered (or waits for an approver
    /// or the provider).
    Accept { id: String },
    /// Withdraw an order not yet accepted or decided.
    Cancel {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve an order awaiting approval.
    Approve { id: String },
    /// Reject an order awaiting approval.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// As the provider, accept an order waiting for it.
    Confirm { id: String },
    /// As the provider, decline an order waiting for it.
    Decline {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

/// `federa orders …`.
pub async fn orders(connection: &Connection, args: OrdersArgs) -> Outcome {
    let (id, step, reason) = match args.verb {
        OrdersVerb::List(list) => {
            let verb = Verb::List(list);
            return resource(connection, "orders", ResourceArgs { verb }).await;
        }
        OrdersVerb::Show { id } => {
            let order = connect(connection)?.order(id_arg(&id)?).await?;
            print_order(connection, &order);
            return Ok(());
        }
        OrdersVerb::Create {
            fields:
                ServiceFields {
                    name,
                    service_type,
                    group,
                    props,
                },
            offering,
            rules,
        } => {
            let client = connect(connection)?;
            let placement = serde_json::from_value(Value::Object(rules.to_request()))
                .map_err(|error| usage(format!("placement rules: {error}")))?;
            let request = OrderCreateReq::Item(OrderItem {
                name,
                service_type_id: names::service_type_id(&client, &service_type).await?,
                group_id: id_arg(&group)?,
                properties: values::parse_pairs(&props).map_err(usage)?,
                placement,
                offering_id: offering.as_deref().map(id_arg).transpose()?,
            });
            let order = client.place_order(&request).await?;
            print_order(connection, &order);
            return Ok(());
        }
        OrdersVerb::CreateItems { items } => {
            let items: Vec<OrderItem> =
                serde_json::from_str(&items).map_err(|error| usage(format!("items: {error}")))?;
            let order = connect(connection)?
                .place_order(&OrderCreateReq::Items(OrderItemsReq { items }))
                .await?;
            print_order(connection, &order);
            return Ok(());
        }
        OrdersVerb::CreateComposition { composition } => {
            let composition: CompositionCreateReq = serde_json::from_str(&composition)
                .map_err(|error| usage(format!("composition: {error}")))?;
            let order = connect(connection)?
                .place_order(&OrderCreateReq::Composition(OrderCompositionReq {
                    composition,
                }))
                .await?;
            print_order(connection, &order);
            return Ok(());
        }
        OrdersVerb::Accept { id } => (id, "accept", None),
        OrdersVerb::Cancel { id, reason } => (id, "cancel", reason),
        OrdersVerb::Approve { id } => (id, "approve", None),
        OrdersVerb::Reject { id, reason } => (id, "reject", Some(reason)),
        OrdersVerb::Confirm { id } => (id, "confirm", None),
        OrdersVerb::Decline { id, reason } => (id, "decline", Some(reason)),
    };
    let order = connect(connection)?
        .decide_order(id_arg(&id)?, step, &OrderDecisionReq { reason })
        .await?;
    print_order(connection, &order);
    Ok(())
}

fn print_order(connection: &Connection, order: &Sent<OrderRes>) {
    if connection.output != Format::Table {
        return show(connection, &order.document, Some(order.id));
    }
    println!("Order:    {} {}", order.id, order.state.as_str());
    for line in &order.lines {
        let quote = &line.quote;
        println!(
            "Item:     {} on offering {} (version {}) of {} in {}",
            line.item.name,
            quote.offering_id,
            quote.offering_version,
            quote.provider_name,
            quote.region
        );
        println!(
            "Price:    {} EUR an hour, about {} EUR a month",
            quote.hourly_price, quote.monthly_estimate
        );
        if let Some(service_id) = line.service_id {
            println!("Service:  {service_id}");
        }
    }
    if order.lines.len() > 1 {
        println!("Total:    about {} EUR a month", order.monthly_estimate);
    }
    println!("Expires:  {}", output::timestamp(&order.expires_at));
    if let Some(reason) = &order.reason {
        println!("Reason:   {reason}");
    }
}
