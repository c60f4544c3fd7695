<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Observer;

use Magento\Framework\Event\Observer;
use Magento\Sales\Model\Order;

/**
 * sales_order_save_after: order.created for a new order, order.updated otherwise.
 */
class OrderSaved extends AbstractQueueObserver
{
    protected function handle(Observer $observer): void
    {
        $order = $observer->getEvent()->getData('order');
        if (!$order instanceof Order) {
            return;
        }
        $this->queueIfActive(
            self::isNew($order) ? 'order.created' : 'order.updated',
            'order',
            (int) $order->getId(),
            (string) $order->getIncrementId(),
            (int) $order->getStoreId(),
            self::updatedAt($order)
        );
    }
}
